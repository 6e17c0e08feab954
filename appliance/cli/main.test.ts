import fs from 'node:fs';
import path from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { modelsDir } from '../common/paths.js';
import { recordConsentForTests } from '../consent/testing.js';
import { runCli, type CliRun } from '../../test/helpers/cli.js';
import { lfwPhoto, makeTempDir, placeOnCanvas, sideBySide, writeTempFile } from '../../test/helpers/faces.js';
import { EXIT } from './context.js';

let stateDir: string;
let workDir: string;
/** Derived test images, written once to the work directory. */
const files: Record<string, string> = {};

/** Run a command against the test state directory, quietly, in the given language. */
function facegate(lang: 'en' | 'zh-Hant', ...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--state', stateDir, '--lang', lang, '--log-level', 'silent']);
}

beforeAll(async () => {
  stateDir = makeTempDir('cli-state');
  workDir = makeTempDir('cli-work');

  const photo = fs.readFileSync(lfwPhoto('al_gore'));
  files.notImage = writeTempFile(workDir, 'roster.jpg', 'id,name\n1001,Chan Tai Man\n');
  files.truncated = writeTempFile(workDir, 'half.jpg', photo.subarray(0, photo.length >> 1));
  files.noFace = writeTempFile(workDir, 'wall.png', await sharp({ create: { width: 640, height: 480, channels: 3, background: '#9a8f80' } }).png().toBuffer());
  files.pair = writeTempFile(workDir, 'pair.png', await sideBySide([lfwPhoto('aaron_peirsol', 1), lfwPhoto('al_gore')]));
  files.small = writeTempFile(workDir, 'far.png', await placeOnCanvas(lfwPhoto('al_gore'), { width: 640, height: 480, photoWidth: 80, photoHeight: 80 }));
  files.blurry = writeTempFile(workDir, 'blurry.png', await sharp(photo).blur(6).png().toBuffer());

  // Enrolment needs recorded consent; these tests are about photos, so it is written directly.
  await recordConsentForTests(stateDir, ['w1001', 'w1002', 'w1003', 'w2000', 'w2001', 'w2002', 'w2003', 'w2004', 'w3000']);

  // Enrol two workers through the CLI itself.
  for (const [subject, person] of [['w1001', 'aaron_peirsol'], ['w1002', 'abdullah']] as const) {
    const run = await facegate('en', 'enroll', '--subject', subject, '--photo', lfwPhoto(person, 0), '--photo', lfwPhoto(person, 2));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`Enrolled ${subject}: 2 template(s) stored`);
  }
});

afterAll(() => {
  for (const dir of [stateDir, workDir]) if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe('facegate --help', () => {
  const commands = ['enroll', 'identify', 'gallery', 'models', 'bench'];

  it('lists commands and exit codes', async () => {
    const run = await runCli(['--help', '--lang', 'en']);
    expect(run.code).toBe(EXIT.ok);
    for (const command of commands) expect(run.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    expect(run.stdout).toContain('Exit codes: 0 success, 1 input rejected, 2 usage error, 4 device not set up');
  });

  it('lists commands in Traditional Chinese', async () => {
    const run = await runCli(['--help', '--lang', 'zh-Hant']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('用法：facegate 指令');
    expect(run.stdout).toContain('將照片中的人臉與人臉庫比對');
    expect(run.stdout).toContain('結束代碼：0 成功');
  });

  it('exits 2 without a command', async () => {
    const run = await runCli(['--lang', 'en']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout).toContain('Usage: facegate COMMAND');
  });

  for (const command of ['enroll', 'identify', 'gallery', 'models', 'consent']) {
    it(`${command} --help in en and zh-Hant`, async () => {
      const en = await runCli([command, '--help', '--lang', 'en']);
      expect(en.code).toBe(EXIT.ok);
      expect(en.stdout.startsWith(`Usage: facegate ${command}`)).toBe(true);
      expect(en.stdout).toContain('Exit codes:');

      const zh = await runCli([command, '--help', '--lang', 'zh-Hant']);
      expect(zh.code).toBe(EXIT.ok);
      expect(zh.stdout.startsWith(`用法：facegate ${command}`)).toBe(true);
      expect(zh.stdout).toContain('結束代碼：');
    });
  }

  it('rejects an unknown --lang value', async () => {
    const run = await runCli(['gallery', 'list', '--lang', 'xx']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('unknown language "xx" for --lang');
    expect(run.stderr).toContain('zh-Hant, zh-Hans, en or pt');
  });

  it('consent --help in zh-Hans and pt', async () => {
    const simplified = await runCli(['consent', '--help', '--lang', 'zh-Hans']);
    expect(simplified.stdout.startsWith('用法：facegate consent grant')).toBe(true);
    expect(simplified.stdout).toContain('退出代码：');
    const portuguese = await runCli(['consent', '--help', '--lang', 'pt']);
    expect(portuguese.stdout.startsWith('Uso: facegate consent grant')).toBe(true);
    expect(portuguese.stdout).toContain('Códigos de saída:');
  });

  it('bench --help is English everywhere', async () => {
    const en = await runCli(['bench', '-h', '--lang', 'en']);
    const zh = await runCli(['bench', '--help', '--lang', 'zh-Hant']);
    expect(en.code).toBe(EXIT.ok);
    expect(en.stdout).toContain('facegate bench accuracy --pairs FILE');
    expect(zh.stdout).toBe(en.stdout);
  });

  it('prints the version', async () => {
    const run = await runCli(['--version']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^facegate \d+\.\d+\.\d+\n$/);
  });
});

describe('facegate usage errors', () => {
  it('exits 2 on an unknown command', async () => {
    const run = await runCli(['enrol', '--lang', 'en']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('Error: unknown command "enrol"');
    expect(run.stderr).toContain('Run "facegate --help"');
    const zh = await runCli(['enrol', '--lang', 'zh-Hant']);
    expect(zh.stderr).toContain('錯誤：未知指令「enrol」');
  });

  it('exits 2 when enroll misses --subject', async () => {
    const run = await facegate('en', 'enroll', '--photo', lfwPhoto('al_gore'));
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--subject ID is required');
    expect(run.stderr).toContain('Run "facegate enroll --help"');
  });

  it('exits 2 when enroll misses --photo', async () => {
    const run = await facegate('en', 'enroll', '--subject', 'w2000');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('at least one --photo FILE is required');
  });

  it('exits 2 on an unknown option', async () => {
    const run = await facegate('en', 'identify', files.pair!, '--threshold', '0.3');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--threshold');
  });

  it('exits 2 on an out-of-range --face', async () => {
    const run = await facegate('en', 'identify', files.pair!, '--face', '0');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--face must be a whole number from 1 to 50, got "0"');
  });

  it('exits 2 when identify has no photo', async () => {
    const run = await facegate('en', 'identify');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('give exactly one photo FILE');
  });
});

describe('facegate rejected photos', () => {
  it('exits 1 on non-image, zh-Hant', async () => {
    const run = await facegate('zh-Hant', 'identify', files.notImage!);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`錯誤：${files.notImage} 不是可讀取的圖片`);
    expect(run.stderr).toContain('處理方法：請使用完整的 JPEG 或 PNG 照片。');
  });

  it('exits 1 on non-image, en', async () => {
    const run = await facegate('en', 'enroll', '--subject', 'w2001', '--photo', files.notImage!);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: ${files.notImage} is not a readable image`);
  });

  it('exits 1 on a truncated photo', async () => {
    const run = await facegate('zh-Hant', 'identify', files.truncated!);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`${files.truncated} 不完整或已損毀`);
  });

  it('exits 1 on a missing photo', async () => {
    const missing = path.join(workDir, 'nobody.jpg');
    const run = await facegate('en', 'identify', missing);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`cannot read ${missing}`);
  });

  it('exits 1 on a photo without a face', async () => {
    const run = await facegate('en', 'identify', files.noFace!);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`no face found in ${files.noFace}`);
  });

  it('exits 1 asking which face', async () => {
    const en = await facegate('en', 'identify', files.pair!);
    expect(en.code).toBe(EXIT.failed);
    expect(en.stderr).toMatch(/shows 2 faces: 1: \(\d+,\d+\)-\(\d+,\d+\), 2: \(\d+,\d+\)-\(\d+,\d+\)\. Which one\?/);
    expect(en.stderr).toContain('Pass --face N to choose one');

    const zh = await facegate('zh-Hant', 'enroll', '--subject', 'w2002', '--photo', files.pair!);
    expect(zh.code).toBe(EXIT.failed);
    expect(zh.stderr).toContain('中有 2 張人臉');
    expect(zh.stderr).toContain('要用哪一張？');
  });

  it('exits 1 on a face too small', async () => {
    const run = await facegate('en', 'identify', files.small!);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toMatch(/fails the quality gate: too small \(eyes \d+ px apart\)/);
  });

  it('exits 1 on a face too blurry', async () => {
    const run = await facegate('zh-Hant', 'enroll', '--subject', 'w2003', '--photo', files.blurry!);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('未通過品質檢查');
    expect(run.stderr).toMatch(/太模糊（清晰度 \d+\.\d）/);
  });

  it('stores nothing if a photo fails', async () => {
    const run = await facegate('en', 'enroll', '--subject', 'w2004', '--photo', lfwPhoto('al_gore'), '--photo', files.blurry!);
    expect(run.code).toBe(EXIT.failed);
    const list = await facegate('en', 'gallery', 'list', '--json');
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((s) => s.id)).toEqual(['w1001', 'w1002']);
  });
});

describe('facegate gallery', () => {
  it('lists the enrolled workers', async () => {
    const run = await facegate('en', 'gallery', 'list');
    expect(run.code).toBe(EXIT.ok);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('SUBJECT\tTEMPLATES\tENROLLED\tPSEUDONYM');
    expect(lines.slice(1).map((line) => line.split('\t').slice(0, 2))).toEqual([['w1001', '2'], ['w1002', '2']]);
  });

  it('exits 1 when removing an unknown subject', async () => {
    const en = await facegate('en', 'gallery', 'remove', 'w9999');
    expect(en.code).toBe(EXIT.failed);
    expect(en.stderr).toContain('Error: subject w9999 is not enrolled');
    expect(en.stderr).toContain('Run "facegate gallery list"');
    const zh = await facegate('zh-Hant', 'gallery', 'remove', 'w9999');
    expect(zh.stderr).toContain('人員 w9999 尚未登記');
  });

  it('exits 1 when enrolling a subject twice', async () => {
    const run = await facegate('en', 'enroll', '--subject', 'w1001', '--photo', lfwPhoto('aaron_peirsol', 3));
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('subject w1001 is already enrolled');
  });

  it('exits 2 on unknown gallery action', async () => {
    const run = await facegate('en', 'gallery', 'purge');
    expect(run.code).toBe(EXIT.usage);
  });
});

describe('facegate identify', () => {
  it('prints JSON with the decision', async () => {
    const run = await facegate('en', 'identify', lfwPhoto('abdullah', 1), '--json');
    expect(run.code).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result.decision).toBe('match');
    expect(result.subject).toBe('w1002');
    expect((result.best as { score: number }).score).toBeGreaterThanOrEqual(result.threshold as number);
    expect(result.galleryTemplates).toBe(4);
    expect(result.liveness).toBeGreaterThanOrEqual(0.5);
    expect(result.quality).toMatchObject({ ok: true, reasons: [] });
  });

  it('prints unknown for a stranger', async () => {
    const run = await facegate('en', 'identify', lfwPhoto('ai_sugiyama', 0), '--json');
    expect(run.code).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result.decision).toBe('unknown');
    expect(result.subject).toBeNull();
  });

  it('picks a face with --face', async () => {
    const results: Array<{ decision: string; subject: string | null }> = [];
    for (const face of ['1', '2']) {
      const run = await facegate('en', 'identify', files.pair!, '--json', '--face', face);
      expect(run.code).toBe(EXIT.ok);
      results.push(JSON.parse(run.stdout) as { decision: string; subject: string | null });
    }
    const [first, second] = results;
    // The pair shows worker w1001 (aaron_peirsol) and a stranger (al_gore).
    expect([first!.subject, second!.subject].filter((s) => s === 'w1001')).toHaveLength(1);
    expect([first!.decision, second!.decision].sort()).toEqual(['match', 'unknown']);
  });

  it('prints one localised line', async () => {
    const run = await facegate('zh-Hant', 'identify', lfwPhoto('aaron_peirsol', 1));
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(new RegExp(`^${lfwPhoto('aaron_peirsol', 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}：w1001（相似度 0\\.\\d{3}，門檻 0\\.\\d{3}，差距 0\\.\\d{3}），活體分數 \\d\\.\\d\\d\\n$`));
  });

  it('warns on a duplicate face', async () => {
    const run = await facegate('en', 'enroll', '--subject', 'w1003', '--photo', lfwPhoto('aaron_peirsol', 3));
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toMatch(/Warning: .* already matches subject w1001 \(similarity 0\.\d{3}, threshold 0\.\d{3}\)/);
  });
});

describe('facegate on a device without models', () => {
  it('exits 4 without a models folder', async () => {
    const run = await runCli(
      ['identify', lfwPhoto('al_gore'), '--state', stateDir, '--lang', 'en', '--log-level', 'silent'],
      { FACEGATE_MODELS: '/nonexistent' },
    );
    expect(run.code).toBe(EXIT.setup);
    expect(run.stderr).toContain('Error: model file /nonexistent/fr_detect.onnx is missing');
    expect(run.stderr).toContain('make setup');
  });

  it('exits 4 for enroll in zh-Hant', async () => {
    const run = await runCli(
      ['enroll', '--subject', 'w3000', '--photo', lfwPhoto('al_gore'), '--state', stateDir, '--lang', 'zh-Hant', '--log-level', 'silent'],
      { FACEGATE_MODELS: '/nonexistent' },
    );
    expect(run.code).toBe(EXIT.setup);
    expect(run.stderr).toContain('缺少模型檔 /nonexistent/fr_detect.onnx');
    expect(run.stderr).toContain('make setup');
  });

  it('exits 4 on an altered model', async () => {
    const copy = makeTempDir('cli-models');
    try {
      for (const name of ['fr_detect.onnx', 'fr_landmark.onnx', 'fr_liveness.onnx', 'fr_feature.onnx']) {
        fs.copyFileSync(path.join(modelsDir(), name), path.join(copy, name));
      }
      const ok = await runCli(['models', 'verify', '--dir', copy, '--lang', 'en', '--log-level', 'silent']);
      expect(ok.code).toBe(EXIT.ok);
      expect(ok.stdout).toContain('All models present and matching the manifest.');

      const file = path.join(copy, 'fr_liveness.onnx');
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x10;
      fs.writeFileSync(file, bytes);
      const altered = await runCli(['models', 'verify', '--dir', copy, '--lang', 'en', '--log-level', 'silent']);
      expect(altered.code).toBe(EXIT.setup);
      expect(altered.stderr).toMatch(new RegExp(`model file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is altered: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}`));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
