import fs from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../appliance/config/index.js';
import { runConfigure } from '../cli/configure-command.js';
import { initDevice } from '../identity/init.js';
import { statePaths } from '../paths.js';
import { captureIo, scriptedPrompter, tempDir } from '../testing.js';

const root = tempDir();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const now = () => new Date('2025-06-01T08:00:00Z');

const BASE = [
  '--device', 'gate-01', '--site', 'mo-taipa', '--direction', 'in',
  '--camera', 'v4l2', '--camera-device', '/dev/video2',
  '--gpio', 'simulated', '--relay', 'GPIO17', '--relay-polarity', 'active-low', '--pulse-ms', '2500',
  '--led-green', 'GPIO22', '--led-red', 'GPIO27', '--exit-button', 'gpiochip0:5',
  '--broker', 'mqtts://broker.macau.example:8883', '--allowed-broker', 'broker.macau.example,*.macau.example',
];

describe('provision configure', () => {
  it('writes a valid configuration', async () => {
    const file = path.join(root, 'a', 'facegate.yaml');
    const io = captureIo({ now });
    const consentParties = ['--controller', 'Taipa Works Ltd', '--contact', 'hr@taipa.example'];
    expect(await runConfigure(io, ['--config', file, '--state', path.join(root, 'a-state'), ...BASE, ...consentParties])).toBe(0);
    const config = loadConfig(file);
    expect(config.consent.controller).toBe('Taipa Works Ltd');
    expect(config.consent.contact).toBe('hr@taipa.example');
    expect(config.device).toMatchObject({ id: 'gate-01', site: 'mo-taipa', direction: 'in' });
    expect(config.camera).toMatchObject({ type: 'v4l2', device: '/dev/video2' });
    expect(config.door.relay).toEqual({ line: 'GPIO17', activeLow: true, pulseMs: 2500 });
    expect(config.door.exitButton?.line).toEqual({ chip: 'gpiochip0', offset: 5 });
    expect(config.residency.allowedBrokers).toEqual(['broker.macau.example', '*.macau.example']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(io.out()).toContain(`Configuration written to ${file}`);
    expect(io.out()).toContain('relay on GPIO17 (active-low, 2500 ms pulse)');
  });

  it('rejects an invalid result, naming options', async () => {
    const file = path.join(root, 'b.yaml');
    const io = captureIo({ now });
    const args = [...BASE.filter((_, index) => index < BASE.indexOf('--broker')), '--broker', 'mqtts://evil.example.com', '--allowed-broker', 'broker.macau.example', '--pulse-ms', '40'];
    expect(await runConfigure(io, ['--config', file, ...args])).toBe(1);
    expect(fs.existsSync(file)).toBe(false);
    expect(io.err()).toContain('mqtt.url');
    expect(io.err()).toContain('evil.example.com');
    expect(io.err()).toContain('Set mqtt.url with --broker mqtts://HOST:PORT');
    expect(io.err()).toContain('Set door.relay.pulseMs with --pulse-ms MS');
    expect(io.err()).toContain(`Nothing was written to ${file}`);
  });

  it('lists missing settings in Chinese', async () => {
    const file = path.join(root, 'c.yaml');
    const io = captureIo({ now, locale: 'zh-Hant' });
    expect(await runConfigure(io, ['--config', file, '--device', 'gate-01', '--non-interactive'])).toBe(1);
    expect(io.err()).toContain('以 --relay LINE 設定 door');
    expect(io.err()).toContain('以 --broker mqtts://HOST:PORT 設定 mqtt');
    expect(io.err()).toContain('以 --allowed-broker HOST 設定 residency');
    expect(io.err()).toContain('以 --camera v4l2|rtsp|http|file|folder|rpicam 設定 camera');
    expect(io.err()).toContain(`沒有寫入 ${file}`);
  });

  it('edits in place with a backup', async () => {
    const file = path.join(root, 'd.yaml');
    expect(await runConfigure(captureIo({ now }), ['--config', file, ...BASE])).toBe(0);
    fs.writeFileSync(file, `# Site notes: gate by the loading bay\n${fs.readFileSync(file, 'utf8')}`);
    const original = fs.readFileSync(file, 'utf8');
    const io = captureIo({ now });
    expect(await runConfigure(io, ['--config', file, '--led-red', 'none', '--buzzer', 'GPIO24', '--camera', 'file', '--camera-path', '/opt/demo.mp4'])).toBe(0);

    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# Site notes: gate by the loading bay');
    const config = loadConfig(file);
    expect(config.door.leds.red).toBeUndefined();
    expect(config.door.leds.green).toBe('GPIO22');
    expect(config.door.buzzer?.line).toBe('GPIO24');
    // The v4l2 keys went with the camera type.
    expect(config.camera).toMatchObject({ type: 'file', path: '/opt/demo.mp4' });
    const backup = `${file}.20250601T080000Z.bak`;
    expect(fs.readFileSync(backup, 'utf8')).toBe(original);
    expect(io.out()).toContain(`The previous file is kept as ${backup}`);
  });

  it('takes ids from the identity', async () => {
    const stateDir = path.join(root, 'with-identity');
    await initDevice({ paths: statePaths(stateDir), deviceId: 'gate-07', siteId: 'mo-cotai', owner: undefined, logger: captureIo().logger });
    const file = path.join(root, 'e.yaml');
    const args = BASE.slice(BASE.indexOf('--direction'));
    expect(await runConfigure(captureIo({ now }), ['--config', file, '--state', stateDir, ...args])).toBe(0);
    expect(loadConfig(file).device).toMatchObject({ id: 'gate-07', site: 'mo-cotai' });
  });

  it('rejects malformed option values', async () => {
    await expect(runConfigure(captureIo({ now }), ['--config', path.join(root, 'f.yaml'), '--pulse-ms', 'long'])).rejects.toThrow(
      '--pulse-ms must be a whole number, got "long"',
    );
    await expect(runConfigure(captureIo({ now }), ['--config', path.join(root, 'f.yaml'), '--relay-polarity', 'low'])).rejects.toThrow(
      '--relay-polarity must be active-high or active-low, got "low"',
    );
  });

  it('asks again after a rejected answer', async () => {
    const file = path.join(root, 'interactive.yaml');
    const answers = [
      'gate-09', 'mo-taipa', 'sideways', 'out', '', // device, site, bad direction, direction, locale (default)
      'file', '/opt/gate.mp4', // camera type, path
      'simulated', 'GPIO17', '', '50', '1500', // gpio, relay, polarity (default), pulse too short, pulse
      'GPIO17', 'GPIO22', 'none', 'none', '', 'none', 'none', // green reuses the relay line, green, red, amber, buzzer (empty = none), exit, contact
      'broker.macau.example, *.macau.example', // allowlist
      '2', '3', '1', // wildcard entry, no such entry, first entry
      '', '', // votes, liveness (defaults)
      'Taipa Works Ltd', 'hr@taipa.example', // consent forms: controller, contact
    ];
    const prompter = scriptedPrompter(answers);
    const io = captureIo({ now, prompter });
    expect(await runConfigure(io, ['--config', file, '--interactive'])).toBe(0);
    const config = loadConfig(file);
    expect(config.device).toMatchObject({ id: 'gate-09', direction: 'out', locale: 'zh-Hant' });
    expect(config.door.relay.pulseMs).toBe(1500);
    expect(config.door.leds.green).toBe('GPIO22');
    expect(config.mqtt.url).toBe('mqtts://broker.macau.example:8883');
    expect(config.consent).toMatchObject({ controller: 'Taipa Works Ltd', contact: 'hr@taipa.example' });
    expect(prompter.questions).toHaveLength(answers.length);
    const out = io.out();
    expect(out).toContain('"sideways" is not accepted');
    expect(out).toContain('"50" is not accepted');
    expect(out).toContain('GPIO line GPIO17 is already used by door.relay.line');
    expect(out).toContain('*.macau.example stands for many hosts');
    expect(out).toContain('there is no entry 3');
    expect(out).toContain('  2) *.macau.example');
  });
});
