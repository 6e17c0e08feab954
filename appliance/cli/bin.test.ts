import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../common/paths.js';
import { lfwPhoto, makeTempDir, writeTempFile } from '../../test/helpers/faces.js';
import { EXIT } from './context.js';
import { recordConsentForTests } from '../consent/testing.js';

const execFileAsync = promisify(execFile);

const BIN = path.join(PROJECT_ROOT, 'bin', 'facegate');
const BUILT = fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'appliance', 'cli', 'main.js'));

interface ProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the installed launcher as a technician would, with a clean locale unless `env` sets one. */
async function facegate(argv: string[], env: Record<string, string> = {}): Promise<ProcessRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FACEGATE_LOG_LEVEL: 'error', LANG: 'C.UTF-8', ...env };
  delete childEnv.FACEGATE_LANG;
  delete childEnv.LC_ALL;
  delete childEnv.LC_MESSAGES;
  try {
    const { stdout, stderr } = await execFileAsync(BIN, argv, { env: childEnv, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

// The launcher runs the compiled tree, which `make test` builds before running the tests.
describe.skipIf(!BUILT)('bin/facegate (compiled; run npm run build first)', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = makeTempDir('bin-state');
    await recordConsentForTests(stateDir, ['w1', 'w2']);
    for (const [subject, person] of [['w1', 'aaron_peirsol'], ['w2', 'abdullah']] as const) {
      const run = await facegate(['enroll', '--subject', subject, '--photo', lfwPhoto(person), '--state', stateDir]);
      expect(run.code, run.stderr).toBe(EXIT.ok);
    }
  });

  afterAll(() => {
    if (stateDir !== undefined) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('exits 0 with the version', async () => {
    const run = await facegate(['--version']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^facegate \d+\.\d+\.\d+\n$/);
  });

  it('exits 2 on an unknown command', async () => {
    const run = await facegate(['frobnicate']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it('takes the language from LANG', async () => {
    const notImage = writeTempFile(stateDir, 'notes.jpg', 'not a photo');
    const run = await facegate(['identify', notImage, '--state', stateDir], { LANG: 'zh_TW.UTF-8' });
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`${notImage} 不是可讀取的圖片`);
  });

  it('exits 4 without models', async () => {
    const run = await facegate(['identify', lfwPhoto('al_gore'), '--state', stateDir], { FACEGATE_MODELS: '/nonexistent' });
    expect(run.code).toBe(EXIT.setup);
    expect(run.stderr).toContain('model file /nonexistent/fr_detect.onnx is missing');
  });

  it('logs a tampered row by subject', async () => {
    const db = new Database(path.join(stateDir, 'gallery.db'));
    const row = db.prepare("SELECT id, ciphertext FROM templates WHERE subject_id = 'w1'").get() as { id: string; ciphertext: Buffer };
    row.ciphertext[0] = row.ciphertext[0]! ^ 0x80;
    db.prepare('UPDATE templates SET ciphertext = ? WHERE id = ?').run(row.ciphertext, row.id);
    db.close();

    const other = await facegate(['identify', lfwPhoto('abdullah', 1), '--json', '--state', stateDir]);
    expect(other.code).toBe(EXIT.ok);
    const otherResult = JSON.parse(other.stdout) as { decision: string; subject: string };
    expect(otherResult.decision).toBe('match');
    expect(otherResult.subject).toBe('w2');

    const logged = other.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; subject?: string; err?: { message: string } });
    const rejected = logged.find((line) => line.msg === 'gallery row rejected');
    expect(rejected, other.stderr).toBeDefined();
    expect(rejected!.subject).toBe('w1');
    expect(rejected!.err!.message).toContain("Gallery row for subject 'w1'");

    const victim = await facegate(['identify', lfwPhoto('aaron_peirsol', 1), '--json', '--state', stateDir]);
    expect((JSON.parse(victim.stdout) as { decision: string }).decision).toBe('unknown');
  });
});
