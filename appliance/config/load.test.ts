import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../common/paths.js';
import { LOCALES } from '../i18n/locale.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { loadConfig, parseConfig } from './load.js';
import { configMessages } from './messages.js';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'facegate.yaml');

// The smallest valid file: only the keys without a default.
const MINIMAL = `
device:
  id: gate-01
  site: site-a
  direction: in
camera:
  type: v4l2
door:
  relay:
    line: GPIO17
mqtt:
  url: mqtts://broker.macau.example:8883
residency:
  allowedBrokers: [broker.macau.example]
`;

function issuesOf(text: string, locale = 'en'): ConfigIssue[] {
  try {
    parseConfig(text, { locale });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

function issueAt(issues: ConfigIssue[], keyPath: string): ConfigIssue {
  const issue = issues.find((candidate) => candidate.path === keyPath);
  if (issue === undefined) {
    throw new Error(`no issue at ${keyPath}; found ${issues.map((candidate) => candidate.path).join(', ')}`);
  }
  return issue;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function writeTemp(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'facegate-config-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('accepts the example file', () => {
    const config = loadConfig(EXAMPLE, { locale: 'en' });
    expect(config.device.id).toBe('gate-01');
    expect(config.camera.type).toBe('v4l2');
    expect(config.door.relay.line).toBe('GPIO17');
    expect(config.residency.allowedBrokers).toContain('broker.macau.example');
  });

  it('returns a deeply frozen config', () => {
    const config = loadConfig(EXAMPLE, { locale: 'en' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.door.relay)).toBe(true);
    expect(Object.isFrozen(config.camera.backoff)).toBe(true);
    expect(Object.isFrozen(config.residency.allowedBrokers)).toBe(true);
  });

  it('fills defaults for a minimal file', () => {
    const config = parseConfig(MINIMAL);
    expect(config.stateDir).toBe('/var/lib/facegate');
    expect(config.device.locale).toBe('zh-Hant');
    expect(config.device.timezone).toBe('+08:00');
    expect(config.camera).toMatchObject({ device: '/dev/video0', width: 640, height: 480, fps: 15 });
    expect(config.camera.backoff).toEqual({ initialMs: 1000, maxMs: 30000, healthyAfterMs: 60000, maxRestartsPerMinute: 10 });
    expect(config.vision.livenessThreshold).toBe(0.5);
    expect(config.vision.workerThreads).toBe(1);
    expect(config.matching.targetFpir).toBe(0.01);
    expect(config.decision).toMatchObject({ votesRequired: 3, debounceMs: 60000 });
    expect(config.mqtt).toMatchObject({ drainRatePerS: 50, telemetryIntervalS: 60 });
    expect(config.outbox).toEqual({ maxPending: 100000, pruneDeliveredAfterH: 168 });
    expect(config.log.level).toBe('info');
  });

  it('defaults to a fail-secure door on real GPIO', () => {
    const config = parseConfig(MINIMAL);
    expect(config.door.gpio.type).toBe('chardev');
    expect(config.door.relay.activeLow).toBe(false);
    expect(config.door.relay.pulseMs).toBeLessThan(config.door.heldOpenMs);
    expect(config.door.buzzer).toBeUndefined();
  });

  it('uses simulated GPIO only when written', () => {
    const config = parseConfig(MINIMAL.replace('door:\n', 'door:\n  gpio:\n    type: simulated\n'));
    expect(config.door.gpio.type).toBe('simulated');
    const withChipOnly = parseConfig(MINIMAL.replace('door:\n', 'door:\n  gpio:\n    chip: gpiochip4\n'));
    expect(withChipOnly.door.gpio.type).toBe('chardev');
  });

  it('derives key and certificate paths from stateDir', () => {
    const config = parseConfig(`stateDir: /srv/fg\n${MINIMAL}`);
    expect(config.mqtt.caFile).toBe('/srv/fg/tls/ca.pem');
    expect(config.mqtt.certFile).toBe('/srv/fg/tls/client.crt');
    expect(config.mqtt.keyFile).toBe('/srv/fg/tls/client.key');
    expect(config.keys.deviceKeyFile).toBe('/srv/fg/keys/device-signing-key.pem');
    expect(config.keys.fleetPublicKeyFile).toBe('/srv/fg/keys/fleet-public-key.pem');
  });

  it('accepts a chip and offset line', () => {
    const config = parseConfig(MINIMAL.replace('line: GPIO17', 'line: { chip: gpiochip0, offset: 17 }'));
    expect(config.door.relay.line).toEqual({ chip: 'gpiochip0', offset: 17 });
  });

  it('accepts each camera type', () => {
    const cameras = [
      'camera:\n  type: rtsp\n  url: rtsp://user:pw@192.0.2.1:554/live',
      'camera:\n  type: http\n  url: http://192.0.2.1/mjpeg',
      'camera:\n  type: file\n  path: /opt/demo.mp4\n  loop: true',
      'camera:\n  type: folder\n  path: /opt/faces',
      'camera:\n  type: rpicam\n  codec: yuv420\n  captureWidth: 1280\n  captureHeight: 720',
    ];
    for (const camera of cameras) {
      const config = parseConfig(MINIMAL.replace('camera:\n  type: v4l2', camera));
      expect(config.camera.type).toBe(camera.split('type: ')[1]!.split('\n')[0]);
    }
  });
});

describe('config errors', () => {
  it('suggests the closest key for a misspelt key', () => {
    const issues = issuesOf(MINIMAL.replace('  relay:\n    line: GPIO17', '  relay:\n    line: GPIO17\n    pulseMS: 2000\n    actveLow: true'));
    const pulse = issueAt(issues, 'door.relay.pulseMS');
    expect(pulse.code).toBe('key.unknown');
    expect(pulse.fix).toContain('"pulseMs"');
    expect(pulse.fix).toContain('line, activeLow, pulseMs');
    expect(issueAt(issues, 'door.relay.actveLow').fix).toContain('"activeLow"');
  });

  it('points a key at the wrong level to its place', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('door:\n', 'door:\n  pulseMs: 2000\n')), 'door.pulseMs');
    expect(issue.fix).toContain('door.relay.pulseMs');
  });

  it('rejects unknown keys at every level', () => {
    const text = `${MINIMAL}extra: 1\nvision:\n  pose:\n    maxYaw: 10\n`;
    const issues = issuesOf(text.replace('camera:\n  type: v4l2', 'camera:\n  type: v4l2\n  backoff: { initalMs: 500 }'));
    expect(issueAt(issues, 'extra').code).toBe('key.unknown');
    expect(issueAt(issues, 'vision.pose.maxYaw').fix).toContain('"maxYawDeg"');
    expect(issueAt(issues, 'camera.backoff.initalMs').fix).toContain('"initialMs"');
  });

  it('rejects keys of another camera type', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('type: v4l2', 'type: rtsp\n  url: rtsp://cam/1\n  device: /dev/video0')), 'camera.device');
    expect(issue.code).toBe('key.unknown');
    expect(issue.fix).toContain('url');
    expect(issue.fix).not.toContain('inputFormat');
  });

  it('names the type for a wrong type', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('door:\n', 'door:\n  heldOpenMs: soon\n')), 'door.heldOpenMs');
    expect(issue.code).toBe('type.wrong');
    expect(issue.value).toBe('"soon"');
    expect(issue.message).toContain('a number');
    expect(issue.message).toContain('text');
  });

  it('gives the range for an out-of-range value', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('line: GPIO17', 'line: GPIO17\n    pulseMs: 50')), 'door.relay.pulseMs');
    expect(issue.code).toBe('value.outOfRange');
    expect(issue.value).toBe('50');
    expect(issue.fix).toContain('100');
    expect(issue.fix).toContain('60000');
  });

  it('rejects a fractional integer', () => {
    const issue = issueAt(issuesOf(`${MINIMAL}vision:\n  workerThreads: 1.5\n`), 'vision.workerThreads');
    expect(issue.code).toBe('value.notInteger');
    expect(issue.fix).toContain('1');
    expect(issue.fix).toContain('4');
  });

  it('lists allowed values for an enum', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('direction: in', 'direction: both')), 'device.direction');
    expect(issue.code).toBe('value.notOneOf');
    expect(issue.fix).toContain('in, out');
  });

  it('lists camera types for a missing type', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('  type: v4l2\n', '  fps: 10\n')), 'camera.type');
    expect(issue.code).toBe('key.missing');
    expect(issue.fix).toContain('v4l2, rtsp, http, file, folder, rpicam');
  });

  it('rejects a relay pulse longer than the held-open time', () => {
    const issue = issueAt(
      issuesOf(MINIMAL.replace('line: GPIO17', 'line: GPIO17\n    pulseMs: 40000').replace('door:\n', 'door:\n  heldOpenMs: 20000\n')),
      'door.relay.pulseMs',
    );
    expect(issue.code).toBe('rule.pulseExceedsHeldOpen');
    expect(issue.message).toContain('40000');
    expect(issue.message).toContain('20000');
    expect(issue.fix).toContain('door.heldOpenMs');
  });

  it('rejects one line used twice', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('door:\n', 'door:\n  leds:\n    red: gpio17\n')), 'door.leds.red');
    expect(issue.code).toBe('rule.lineReused');
    expect(issue.message).toContain('door.relay.line');
  });

  it('rejects GPIO keys of another driver', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('door:\n', 'door:\n  gpio:\n    type: simulated\n    chip: gpiochip0\n')), 'door.gpio.chip');
    expect(issue.code).toBe('rule.onlyWith');
    expect(issue.fix).toContain('chardev');
  });

  it('rejects a backoff minimum above its maximum', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('  url: mqtts', '  backoffMinMs: 5000\n  backoffMaxMs: 2000\n  url: mqtts')), 'mqtt.backoffMinMs');
    expect(issue.code).toBe('rule.orderAtMost');
    expect(issue.message).toContain('mqtt.backoffMaxMs');
  });

  it('rejects a broker outside the residency list', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('broker.macau.example:8883', 'mqtt.elsewhere.example.com:8883')), 'mqtt.url');
    expect(issue.code).toBe('rule.brokerNotAllowed');
    expect(issue.message).toContain('mqtt.elsewhere.example.com');
    expect(issue.message).toContain('broker.macau.example');
  });

  it('accepts a broker matched by a wildcard', () => {
    const text = MINIMAL.replace('broker.macau.example:8883', 'b2.macau.example:8883').replace('[broker.macau.example]', '["*.macau.example"]');
    expect(parseConfig(text).mqtt.url).toBe('mqtts://b2.macau.example:8883');
  });

  it('rejects plain mqtt and credentials in the broker URL', () => {
    expect(issueAt(issuesOf(MINIMAL.replace('mqtts://', 'mqtt://')), 'mqtt.url').code).toBe('rule.mqttsUrl');
    const withPassword = issueAt(issuesOf(MINIMAL.replace('mqtts://', 'mqtts://dev:hunter22@')), 'mqtt.url');
    expect(withPassword.code).toBe('rule.mqttCredentials');
    expect(withPassword.value).not.toContain('hunter22');
  });

  it('rejects rpicam yuv420 widths with row padding', () => {
    const issue = issueAt(issuesOf(MINIMAL.replace('type: v4l2', 'type: rpicam\n  width: 600')), 'camera.width');
    expect(issue.code).toBe('rule.yuv420Width');
    expect(parseConfig(MINIMAL.replace('type: v4l2', 'type: rpicam\n  codec: mjpeg\n  width: 600')).camera.width).toBe(600);
  });

  it('lists every problem at once with lines', () => {
    const text = [
      'device:',
      '  id: "gate 01"',
      '  site: site-a',
      '  direction: in',
      'camera:',
      '  type: v4l2',
      '  fps: 0',
      'door:',
      '  relay:',
      '    line: GPIO17',
      '    pulseMs: 40000',
      'mqtt:',
      '  url: mqtts://other.example.com:8883',
      'residency:',
      '  allowedBrokers: [broker.macau.example]',
      'loggin: { level: debug }',
      '',
    ].join('\n');
    const issues = issuesOf(text);
    expect(issues.map((issue) => issue.path)).toEqual([
      'device.id',
      'camera.fps',
      'door.relay.pulseMs',
      'mqtt.url',
      'loggin',
    ]);
    expect(issues.map((issue) => issue.line)).toEqual([2, 7, 11, 13, 16]);
    expect(issueAt(issues, 'loggin').fix).toContain('"log"');
  });

  it('puts every issue in the error message', () => {
    let message = '';
    try {
      parseConfig(MINIMAL.replace('direction: in', 'direction: up') + 'outbox: { maxPending: 5 }\n', { file: '/etc/facegate/facegate.yaml', locale: 'en' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/etc/facegate/facegate.yaml: 2 problem(s)');
    expect(message).toContain('device.direction (line 5): "up" is not allowed. Fix: use one of: in, out');
    expect(message).toContain('outbox.maxPending');
  });

  it('reports YAML syntax errors with line and column', () => {
    const issues = issuesOf('device:\n  id: gate-01\n  site: [site-a\ncamera:\n  type: v4l2\n');
    expect(issues[0]!.code).toBe('yaml.syntax');
    expect(issues[0]!.line).toBe(4);
    expect(issues[0]!.column).toBe(1);
    expect(issues[0]!.message).toContain('line 4, column 1');
  });

  it('reports duplicate keys as syntax errors', () => {
    const issues = issuesOf(`${MINIMAL}log:\n  level: info\nlog:\n  level: debug\n`);
    expect(issues[0]!.code).toBe('yaml.syntax');
    expect(issues[0]!.line).toBe(17);
  });

  it('rejects a file that is not a mapping', () => {
    expect(issuesOf('- a\n- b\n')[0]!.code).toBe('yaml.notMapping');
  });

  it('names the path and the fix for a missing file', () => {
    const missing = path.join(tmpdir(), 'facegate-no-such-dir', 'facegate.yaml');
    let caught: unknown;
    try {
      loadConfig(missing, { locale: 'en' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.issues[0]!.code).toBe('file.missing');
    expect(error.message).toContain(missing);
    expect(error.hint).toContain('facegate provision configure');
    expect(error.hint).toContain('examples/facegate.yaml');
  });

  it('reads a file written to disk', () => {
    const file = writeTemp('facegate.yaml', MINIMAL);
    expect(loadConfig(file).device.site).toBe('site-a');
  });

  it('renders an error in Traditional Chinese', () => {
    const file = writeTemp('facegate.yaml', MINIMAL.replace('line: GPIO17', 'line: GPIO17\n    pulseMs: 50'));
    let message = '';
    try {
      loadConfig(file, { locale: 'zh-Hant' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('設定中有 1 個問題');
    expect(message).toContain('door.relay.pulseMs（第 11 行）：50 超出允許範圍。修正：請用 100 至 60000 之間的值');
  });
});

describe('config messages', () => {
  it('exist in every locale with the same placeholders', () => {
    const english = configMessages.catalogs.en;
    for (const locale of LOCALES) {
      const catalog = configMessages.catalogs[locale];
      expect(Object.keys(catalog).sort()).toEqual(Object.keys(english).sort());
      for (const [key, text] of Object.entries(english)) {
        const placeholders = (value: string): string[] => (value.match(/\{\w+\}/g) ?? []).sort();
        expect(placeholders(catalog[key as keyof typeof english]), `${locale} ${key}`).toEqual(placeholders(text));
      }
    }
  });

  it('cover every rule the schema uses', async () => {
    const source = await import('node:fs/promises').then((fs) => fs.readFile(path.join(PROJECT_ROOT, 'appliance/config/schema.ts'), 'utf8'));
    const rules = [...source.matchAll(/rule\('(\w+)'/g), ...source.matchAll(/rule: '(\w+)'/g)].map((match) => match[1]!);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      expect(configMessages.has(`rule.${rule}`), rule).toBe(true);
      expect(configMessages.has(`rule.${rule}.fix`), rule).toBe(true);
    }
  });
});
