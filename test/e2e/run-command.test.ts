import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../appliance/common/paths.js';

// `facegate run` as a technician meets it: a bad configuration is listed in full, exit code 4.

const ENTRY = path.join(PROJECT_ROOT, 'test', 'e2e', 'support', 'daemon-child.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-run-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function facegate(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, FACEGATE_LANG: 'en' } });
}

describe('facegate run', () => {
  it('lists every configuration problem and exits 4', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      [
        'device: { id: gate-01, site: site-1, direction: sideways }',
        'camera: { type: v4l2, fps: 500 }',
        'door: { relay: { line: GPIO17 } }',
        'mqtt: { url: "mqtts://broker.elsewhere.example:8883" }',
        'residency: { allowedBrokers: [broker.macau.example] }',
        'colour: blue',
      ].join('\n'),
    );
    const result = facegate('run', '--config', file);
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('device.direction');
    expect(result.stderr).toContain('camera.fps');
    expect(result.stderr).toContain('mqtt.url');
    expect(result.stderr).toContain('colour');
  });

  it('reports a missing configuration file', () => {
    const result = facegate('run', '--config', path.join(dir, 'absent.yaml'));
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('absent.yaml');
  });

  it('requires --config', () => {
    const result = facegate('run');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--config');
  });
});
