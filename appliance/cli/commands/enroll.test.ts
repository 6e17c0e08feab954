import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliRun } from '../../../test/helpers/cli.js';
import { lfwPhoto, makeTempDir, spoofSamples } from '../../../test/helpers/faces.js';
import { DeviceAuditReader } from '../../audit/source.js';
import { recordConsentForTests } from '../../consent/testing.js';
import { LOCALES } from '../../i18n/locale.js';
import { EXIT } from '../context.js';

let stateDir: string;
let configDir: string;

const attacks = spoofSamples().filter((sample) => sample.label === 'attack');
const printAttack = attacks.find((sample) => sample.attackType === 'print')!.file;
const liveSample = spoofSamples().find((sample) => sample.file.endsWith(`${path.sep}real${path.sep}3.jpg`))!.file;

function facegate(...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--state', stateDir, '--log-level', 'silent']);
}

/** Return the template count per subject, from `gallery list`. */
async function templateCounts(): Promise<Record<string, number>> {
  const run = await facegate('gallery', 'list', '--lang', 'en');
  expect(run.code, run.stderr).toBe(EXIT.ok);
  const rows = run.stdout.trim().split('\n').slice(1).map((line) => line.split('\t'));
  return Object.fromEntries(rows.filter((row) => row.length > 1).map((row) => [row[0]!, Number(row[1])]));
}

/** Return the `enrolment.add` audit entries written for one subject, oldest first. */
function enrolmentEntries(dir: string, subject: string): Array<Record<string, unknown>> {
  const reader = DeviceAuditReader.open(dir);
  try {
    return reader
      .snapshot()
      .entries.filter((entry) => entry.action === 'enrolment.add' && (entry.object as { id: string } | null)?.id === subject);
  } finally {
    reader.close();
  }
}

beforeAll(async () => {
  stateDir = makeTempDir('enroll-state');
  configDir = makeTempDir('enroll-config');
  // An identity lets the command write its audit entries, as on a provisioned device.
  fs.writeFileSync(path.join(stateDir, 'identity.json'), JSON.stringify({ deviceId: 'gate-01', siteId: 'mo-taipa-01' }));
  await recordConsentForTests(stateDir, ['w1001', 'w1002', 'w1003', 'w1004', 'w1005', 'w1006']);

  const run = await facegate('enroll', '--subject', 'w1001', '--photo', lfwPhoto('aaron_peirsol', 0), '--photo', lfwPhoto('aaron_peirsol', 2), '--lang', 'en');
  expect(run.code, run.stderr).toBe(EXIT.ok);
});

afterAll(() => {
  for (const dir of [stateDir, configDir]) if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe('enroll liveness', () => {
  it('rejects a print attack with --add', async () => {
    const run = await facegate('enroll', '--subject', 'w1001', '--add', '--photo', printAttack, '--lang', 'zh-Hant');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(printAttack);
    expect(run.stderr).toContain('的活體分數為 0.01，低於門檻 0.50');
    expect(run.stderr).toContain('--allow-not-live');
    expect(run.stdout).not.toContain('已登記');
    expect((await templateCounts()).w1001).toBe(2);
  });

  it('rejects every attack sample', async () => {
    for (const attack of attacks) {
      const run = await facegate('enroll', '--subject', 'w1002', '--photo', attack.file, '--lang', 'en');
      expect(run.code, attack.file).toBe(EXIT.failed);
      expect(run.stderr, attack.file).toContain(`Error: ${attack.file} scored`);
    }
    expect((await templateCounts()).w1002).toBeUndefined();
  });

  it('audits a rejected attack', () => {
    const rejected = enrolmentEntries(stateDir, 'w1002');
    expect(rejected.length).toBe(attacks.length);
    for (const entry of rejected) {
      expect(entry.outcome).toBe('failure');
      expect(entry.reason).toBe('not-live');
      expect((entry.detail as { liveness: number }).liveness).toBeLessThan(0.5);
    }
  });

  it('stores and audits an override', async () => {
    const run = await facegate('enroll', '--subject', 'w1003', '--allow-not-live', '--photo', printAttack, '--lang', 'en');
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stderr).toContain(`Warning: ${printAttack} scored`);
    expect(run.stderr).toContain('--allow-not-live');
    expect((await templateCounts()).w1003).toBe(1);

    const [entry] = enrolmentEntries(stateDir, 'w1003');
    expect(entry?.outcome).toBe('success');
    const detail = entry?.detail as Record<string, unknown>;
    expect(detail.livenessOverridden).toBe(true);
    expect(detail.livenessThreshold).toBe(0.5);
    expect(detail.livenessMin).toBeLessThan(0.5);
    expect(detail.livenessScores).toMatch(/^0\.\d\d$/);
  });

  it('records no override for live photos', () => {
    const [entry] = enrolmentEntries(stateDir, 'w1001');
    const detail = entry?.detail as Record<string, unknown>;
    expect(detail.livenessOverridden).toBe(false);
    expect(detail.livenessScores).toMatch(/^0\.9\d,(0\.9\d|1\.00)$|^1\.00,/);
    expect(detail.agreementMin).toBeGreaterThan(detail.matchThreshold as number);
  });
});

describe('enroll --add identity check', () => {
  it('rejects another person even with --allow-not-live', async () => {
    const run = await facegate('enroll', '--subject', 'w1001', '--add', '--allow-not-live', '--photo', printAttack, '--lang', 'en');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toMatch(new RegExp(`Error: ${printAttack} does not match the templates already stored for w1001 \\(best similarity -?0\\.\\d{3}, threshold 0\\.\\d{3}\\)`));
    expect(run.stderr).toContain('facegate gallery remove w1001');
    expect((await templateCounts()).w1001).toBe(2);
    const last = enrolmentEntries(stateDir, 'w1001').at(-1);
    expect(last?.outcome).toBe('failure');
    expect(last?.reason).toBe('subject-mismatch');
  });

  it('rejects a live stranger', async () => {
    const stranger = lfwPhoto('al_gore', 0);
    const run = await facegate('enroll', '--subject', 'w1001', '--add', '--photo', lfwPhoto('aaron_peirsol', 1), '--photo', stranger, '--lang', 'en');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: ${stranger} does not match the templates already stored for w1001`);
    expect((await templateCounts()).w1001).toBe(2);
  });

  it('adds a matching photo', async () => {
    const photo = lfwPhoto('aaron_peirsol', 1);
    const run = await facegate('enroll', '--subject', 'w1001', '--add', '--photo', photo, '--lang', 'en');
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toMatch(new RegExp(`${photo}: matches the stored templates of w1001 \\(similarity 0\\.\\d{3}, threshold 0\\.\\d{3}\\)`));
    expect((await templateCounts()).w1001).toBe(3);
    const detail = enrolmentEntries(stateDir, 'w1001').at(-1)?.detail as Record<string, unknown>;
    expect(detail.added).toBe(true);
    expect(detail.subjectMatchMin).toBeGreaterThan(detail.matchThreshold as number);
  });
});

describe('enroll photo agreement', () => {
  it('rejects photos of two people', async () => {
    const first = lfwPhoto('abdullah', 0);
    const second = lfwPhoto('al_gore', 1);
    const run = await facegate('enroll', '--subject', 'w1004', '--photo', first, '--photo', second, '--lang', 'en');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toMatch(new RegExp(`Error: ${second} and ${first} do not show the same person \\(similarity -?0\\.\\d{3}, threshold 0\\.\\d{3}\\)`));
    expect((await templateCounts()).w1004).toBeUndefined();
    expect(enrolmentEntries(stateDir, 'w1004').map((entry) => entry.reason)).toEqual(['photos-disagree']);
  });
});

describe('enroll --config', () => {
  function writeConfig(livenessThreshold: number): string {
    const file = path.join(configDir, `facegate-${livenessThreshold}.yaml`);
    fs.writeFileSync(
      file,
      [
        'device: { id: gate-01, site: mo-taipa-01, direction: in }',
        'camera: { type: v4l2 }',
        'door: { relay: { line: GPIO17 } }',
        'mqtt: { url: "mqtts://broker.macau.example:8883" }',
        'residency: { allowedBrokers: [broker.macau.example] }',
        `stateDir: ${stateDir}`,
        `vision: { livenessThreshold: ${livenessThreshold} }`,
        '',
      ].join('\n'),
    );
    return file;
  }

  it('reads stateDir and livenessThreshold', async () => {
    // The live sample scores about 0.72, which passes the default threshold and fails 0.9.
    const strict = await runCli(['enroll', '--subject', 'w1005', '--photo', liveSample, '--config', writeConfig(0.9), '--lang', 'en', '--log-level', 'silent']);
    expect(strict.code).toBe(EXIT.failed);
    expect(strict.stderr).toContain(`Error: ${liveSample} scored 0.7`);
    expect(strict.stderr).toContain('below the threshold 0.90');

    const usual = await runCli(['enroll', '--subject', 'w1005', '--photo', liveSample, '--config', writeConfig(0.5), '--lang', 'en', '--log-level', 'silent']);
    expect(usual.code, usual.stderr).toBe(EXIT.ok);
    expect((await templateCounts()).w1005).toBe(1);
  });

  it('reads the quality thresholds', async () => {
    // This LFW photo has sharpness about 36: it passes the built-in minimum of 10 and fails the configured default of 50.
    const photo = lfwPhoto('aaron_peirsol', 0);
    const run = await runCli(['enroll', '--subject', 'w1006', '--photo', photo, '--config', writeConfig(0.5), '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(`Error: the face in ${photo} fails the quality gate: too blurry`);
  });

  it('rejects a missing config file', async () => {
    const missing = path.join(configDir, 'none.yaml');
    const run = await runCli(['enroll', '--subject', 'w1005', '--photo', liveSample, '--config', missing, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(EXIT.setup);
    expect(run.stderr).toContain(missing);
  });
});

describe('enroll --help', () => {
  it('names the new options in every language', async () => {
    for (const lang of LOCALES) {
      const run = await runCli(['enroll', '--help', '--lang', lang]);
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout, lang).toContain('--allow-not-live');
      expect(run.stdout, lang).toContain('--config');
      expect(run.stdout, lang).toContain('vision.livenessThreshold');
      expect(run.stdout, lang).toContain('models/calibration.json');
    }
  });
});
