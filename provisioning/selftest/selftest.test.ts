import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTestVideo } from '../../appliance/camera/testing.js';
import { validateConfig, type FacegateConfig } from '../../appliance/config/index.js';
import { SimulatedGpio } from '../../appliance/gpio/simulated.js';
import { captureLogs } from '../../test/support/logs.js';
import { captureIo, scriptedPrompter, tempDir } from '../testing.js';
import { formatSelftestReport } from './report.js';
import { runSelftest, type SelftestOptions } from './run.js';
import type { CheckResult, Operator } from './types.js';

const root = tempDir();
const video = path.join(root, 'gate.mp4');
const timedatectlYes = path.join(root, 'timedatectl-yes');
const timedatectlNo = path.join(root, 'timedatectl-no');
const logs = captureLogs();

beforeAll(async () => {
  await makeTestVideo(video, { framesEach: 10, fps: 15 });
  // Stand-ins for timedatectl that print each state the real one reports; the check runs them as subprocesses.
  fs.writeFileSync(timedatectlYes, '#!/bin/sh\necho yes\n', { mode: 0o755 });
  fs.writeFileSync(timedatectlNo, '#!/bin/sh\necho no\n', { mode: 0o755 });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function config(overrides: { camera?: Record<string, unknown>; door?: Record<string, unknown> } = {}): FacegateConfig {
  return validateConfig({
    device: { id: 'gate-01', site: 'mo-taipa', direction: 'in' },
    stateDir: path.join(root, 'state'),
    camera: { type: 'file', path: video, fps: 15, ...overrides.camera },
    door: {
      gpio: { type: 'simulated' },
      relay: { line: 'GPIO17', pulseMs: 3000 },
      leds: { green: 'GPIO22', red: 'GPIO27' },
      buzzer: { line: 'GPIO24' },
      exitButton: { line: 'GPIO5' },
      doorContact: { line: 'GPIO6' },
      ...overrides.door,
    },
    mqtt: { url: 'mqtts://127.0.0.1:8883' },
    residency: { allowedBrokers: ['127.0.0.1'] },
  });
}

const absent: Operator = { interactive: false, confirm: async () => true, instruct: () => undefined, ready: async () => undefined };

function run(options: Partial<SelftestOptions> & { config: FacegateConfig }): Promise<CheckResult[]> {
  return runSelftest({ logger: logs.logger, operator: absent, skip: new Set(['broker']), frames: 10, outputOnMs: 50, clock: { timedatectl: timedatectlYes }, ...options });
}

function byId(results: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(results.map((result) => [result.id, result]));
}

describe('runSelftest', () => {
  it('passes a working gate unattended', async () => {
    const gpio = new SimulatedGpio({ logger: logs.logger });
    const results = byId(await run({ config: config(), gpio }));

    for (const id of ['relay', 'led.green', 'led.red', 'buzzer', 'exit-button', 'door-contact', 'models', 'camera', 'face', 'inference', 'clock']) {
      expect(results[id]?.status, `${id}: ${JSON.stringify(results[id])}`).toBe('pass');
    }
    expect(results.broker?.status).toBe('skip');
    expect(results['exit-button']?.detail?.key).toBe('input.simulated');
    expect(results.camera?.detail?.params).toMatchObject({ frames: 10, width: 640, height: 480 });
    expect(Number(results.camera?.detail?.params?.fps)).toBeGreaterThan(7);
    expect(results.face?.detail?.params?.found).toBeGreaterThan(0);
    expect(results.clock?.detail).toEqual({ key: 'clock.synced', params: { source: 'ntp' } });

    // The relay was really energised and released, and the button and contact went through their debounce.
    const relay = gpio.transitions('relay').filter((transition) => transition.cause === 'set').map((transition) => transition.value);
    expect(relay).toEqual([true, false]);
    const button = gpio.transitions('exitButton').filter((transition) => transition.cause === 'change').map((transition) => transition.value);
    expect(button).toEqual([true, false]);
  });

  it('fails what the technician did not see', async () => {
    const gpio = new SimulatedGpio({ logger: logs.logger });
    const prompter = scriptedPrompter(['y', 'n', 'yes', 'y']);
    const io = captureIo({
      prompter,
      // Act as the technician: press and release when asked, open and close the door when asked.
      onOutput: (text) => {
        if (text.includes('exit button')) setTimeout(() => (gpio.press('exitButton'), setTimeout(() => gpio.release('exitButton'), 80)), 30);
        if (text.includes('Open the door')) setTimeout(() => (gpio.setInput('doorContact', true), setTimeout(() => gpio.setInput('doorContact', false), 150)), 30);
      },
    });
    const operator: Operator = {
      interactive: true,
      confirm: async (note) => /^y/.test(await prompter.ask(note.key)),
      instruct: (note) => void io.stdout.write(note.key === 'do.exit-button' ? 'Press the exit button\n' : 'Open the door\n'),
      ready: async () => undefined,
    };
    const results = byId(await run({ config: config(), gpio, operator, skip: new Set(['broker', 'camera', 'vision']), inputTimeoutMs: 3_000 }));

    expect(prompter.questions).toEqual(['ask.relay', 'ask.led.green', 'ask.led.red', 'ask.buzzer']);
    expect(results.relay?.status).toBe('pass');
    expect(results['led.green']).toMatchObject({ status: 'fail', detail: { key: 'output.notConfirmed' }, fix: { key: 'fix.output' } });
    expect(results['exit-button']).toMatchObject({ status: 'pass', detail: { key: 'input.cycled' } });
    expect(results['door-contact']).toMatchObject({ status: 'pass', detail: { key: 'contact.cycled' } });
  });

  it('fails inputs nobody presses', async () => {
    const gpio = new SimulatedGpio({ logger: logs.logger });
    const operator: Operator = { interactive: true, confirm: async () => true, instruct: () => undefined, ready: async () => undefined };
    const results = byId(await run({ config: config(), gpio, operator, skip: new Set(['broker', 'camera', 'vision', 'clock']), inputTimeoutMs: 300 }));
    expect(results['exit-button']).toMatchObject({ status: 'fail', detail: { key: 'input.timeout' }, fix: { key: 'fix.input' } });
    expect(results['door-contact']).toMatchObject({ status: 'fail', detail: { key: 'contact.timeout' }, fix: { key: 'fix.contact' } });
  });

  it('explains each failure of a broken gate', async () => {
    const missing = path.join(root, 'no-such-video.mp4');
    const broken = config({ door: { relay: { line: 'GPIO99' } }, camera: { path: missing, startTimeoutMs: 1_000, backoff: { initialMs: 100 } } });
    const results = byId(await run({ config: broken, gpio: new SimulatedGpio({ logger: logs.logger }), skip: new Set(['broker', 'vision']), clock: { timedatectl: timedatectlNo } }));

    expect(results.relay).toMatchObject({ status: 'fail', fix: { key: 'fix.relay' } });
    expect((results.relay?.error as { code?: string }).code).toBe('gpio.line_not_found');
    expect(results.camera).toMatchObject({ status: 'fail', detail: { key: 'camera.noFrames' }, fix: { key: 'fix.camera.file', params: { path: missing } } });
    expect(results.clock).toMatchObject({ status: 'fail', detail: { key: 'clock.unsynced' }, fix: { key: 'fix.clock' } });

    const report = formatSelftestReport(Object.values(results), 'zh-Hant');
    expect(report).toMatch(/繼電器\s+失敗/);
    expect(report).toContain('請檢查：');
    expect(report).toMatch(/找不到 GPIO 線路 "?GPIO99/);
    expect(report).toContain(`請確認 ${missing} 存在`);
    expect(report).toContain('timedatectl set-ntp true');
    const english = formatSelftestReport(Object.values(results), 'en');
    expect(english).toMatch(/Relay\s+FAIL/);
    expect(english).toContain(`Check that ${missing} exists`);
  });
});

describe('formatSelftestReport', () => {
  it('aligns Chinese columns and counts failures', () => {
    const results: CheckResult[] = [
      { id: 'relay', status: 'pass', detail: { key: 'relay.confirmed', params: { ms: 600 } } },
      { id: 'clock', status: 'fail', detail: { key: 'clock.unknown' }, fix: { key: 'fix.clock' } },
      { id: 'broker', status: 'skip', detail: { key: 'skipped', params: { section: 'broker' } } },
    ];
    const lines = formatSelftestReport(results, 'zh-Hant').split('\n');
    // 代理伺服器連線 is seven wide characters, so the first column is 14 terminal columns wide.
    expect(lines[0]).toBe(`項目${' '.repeat(12)}結果  說明`);
    expect(lines[2]).toBe(`繼電器${' '.repeat(10)}通過  通電 600 毫秒後釋放；已聽到咔嗒聲`);
    expect(lines).toContain('2 項檢查中有 1 項失敗。');
    expect(lines).toContain('略過 1 項檢查。');
  });
});
