import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseConfig } from '../../appliance/config/load.js';
import { PROJECT_ROOT } from '../../appliance/common/paths.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/faces.js';

// The daemon connects only to brokers inside the data-residency policy: `facegate run` must reject
// a configuration whose mqtt.url points anywhere else before it opens any connection.

const EXAMPLE = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'facegate.yaml'), 'utf8');
const ALLOWED_URL = 'mqtts://broker.macau.example:8883';
let dir: string;

function writeConfig(name: string, url: string): string {
  expect(EXAMPLE).toContain(`url: ${ALLOWED_URL}`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, EXAMPLE.replace(`url: ${ALLOWED_URL}`, `url: ${url}`));
  return file;
}

beforeAll(() => {
  dir = makeTempDir('residency');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('facegate run residency policy', () => {
  it('accepts the example broker', () => {
    expect(() => parseConfig(EXAMPLE)).not.toThrow();
  });

  for (const [label, url, host] of [
    ['a foreign host', 'mqtts://broker.example.com:8883', 'broker.example.com'],
    ['a look-alike suffix', 'mqtts://evil-macau.example:8883', 'evil-macau.example'],
    ['an IP address', 'mqtts://203.0.113.7:8883', '203.0.113.7'],
  ] as const) {
    it(`rejects ${label}`, async () => {
      const run = await runCli(['run', '--config', writeConfig(`${host}.yaml`, url), '--lang', 'en', '--log-level', 'silent']);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(`broker host ${host} is not in residency.allowedBrokers`);
      expect(run.stderr).toContain('mqtt.url');
    });
  }
});
