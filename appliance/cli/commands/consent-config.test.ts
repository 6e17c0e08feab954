import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliRun } from '../../../test/helpers/cli.js';
import { provisionTestDevice } from '../../../test/helpers/device-state.js';
import { lfwPhoto, makeTempDir } from '../../../test/helpers/faces.js';
import { silentLogger } from '../../common/logger.js';
import { Gallery } from '../../gallery/store.js';
import { EXIT } from '../context.js';

// The README flow on a device whose state folder is set only in the configuration file: every
// command gets --config and none gets --state, so a command that ignored stateDir would fail.

let stateDir: string;
let configFile: string;

function facegate(...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--config', configFile, '--lang', 'en', '--log-level', 'silent']);
}

beforeAll(() => {
  stateDir = makeTempDir('consent-config-state');
  provisionTestDevice(stateDir, [{ workerId: 'w100', displayName: 'Chan Tai Man', domicile: 'macau' }]);

  configFile = path.join(stateDir, 'facegate.yaml');
  fs.writeFileSync(
    configFile,
    [
      'device: { id: gate-01, site: site-taipa, direction: in }',
      'camera: { type: v4l2 }',
      'door: { relay: { line: GPIO17 } }',
      'mqtt: { url: "mqtts://broker.macau.example:8883" }',
      'residency: { allowedBrokers: [broker.macau.example] }',
      `stateDir: ${stateDir}`,
      'consent: { controller: "Obras Exemplo Lda.", contact: "dpo@example.test" }',
      // The enrolment photo measures sharpness about 36, below the default minSharpness of 50.
      'vision: { minSharpness: 10 }',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  if (stateDir !== undefined) fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('consent and enroll with --config', () => {
  it('grants consent in the configured folder', async () => {
    const run = await facegate('consent', 'grant', '--subject', 'w100', '--witness', 'tech.lei', '--accept-face-recognition');
    expect(run.code, run.stderr).toBe(EXIT.ok);
  });

  it('enrols in the configured folder', async () => {
    const run = await facegate('enroll', '--subject', 'w100', '--photo', lfwPhoto('aaron_peirsol', 0), '--photo', lfwPhoto('aaron_peirsol', 2));
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const gallery = Gallery.open({ stateDir, logger: silentLogger() });
    try {
      expect(gallery.hasSubject('w100')).toBe(true);
    } finally {
      gallery.close();
    }
  });

  it('shows the consent', async () => {
    const run = await facegate('consent', 'show', 'w100', '--json');
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const history = JSON.parse(run.stdout) as Array<{ subjectId: string; withdrawnAt: string | null }>;
    expect(history).toHaveLength(1);
    expect(history[0]!.subjectId).toBe('w100');
    expect(history[0]!.withdrawnAt).toBeNull();
  });

  it('withdraws and destroys the templates', async () => {
    const run = await facegate('consent', 'withdraw', '--subject', 'w100', '--witness', 'tech.lei');
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toContain('2 template(s) destroyed');

    const afterWithdrawal = await facegate('consent', 'show', 'w100', '--json');
    const history = JSON.parse(afterWithdrawal.stdout) as Array<{ withdrawnAt: string | null }>;
    expect(history[0]!.withdrawnAt).not.toBeNull();
  });
});
