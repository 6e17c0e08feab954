import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { createContext } from '../../appliance/cli/context.js';
import { SimulatedGpio } from '../../appliance/gpio/simulated.js';
import type { Locale } from '../../appliance/i18n/locale.js';
import { captureLogs } from '../../test/support/logs.js';
import { scriptedPrompter, tempDir } from '../testing.js';
import { languageChosen, technicianLocale } from './locale.js';
import { streamPrompter } from './prompt.js';
import { createProvisionCommand, type ProvisionDependencies } from './provision.js';

const root = tempDir();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function recorder(onWrite?: (text: string) => void): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      onWrite?.(chunk.toString());
      callback();
    },
  }) as Writable & { text(): string };
  stream.text = () => chunks.join('');
  return stream;
}

async function provision(argv: string[], locale: Locale, dependencies: ProvisionDependencies, onWrite?: (text: string) => void) {
  const stdout = recorder(onWrite);
  const stderr = recorder();
  const context = createContext(locale, captureLogs().logger, stdout, stderr);
  const code = await createProvisionCommand({ argv: [], env: { FACEGATE_LANG: locale }, ...dependencies }).run(context, argv);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('streamPrompter', () => {
  it('keeps answers typed ahead, in order', async () => {
    const input = new PassThrough();
    const output = recorder();
    const prompter = streamPrompter(input, output);
    input.write('gate-01\n  yes  \n');
    expect(await prompter.ask('Device id:')).toBe('gate-01');
    expect(await prompter.ask('Sure?')).toBe('yes');
    const pending = prompter.ask('Third?');
    input.write('later\n');
    expect(await pending).toBe('later');
    expect(output.text()).toBe('Device id: Sure? Third? ');
    prompter.close();
  });

  it('rejects questions after the input ends', async () => {
    const input = new PassThrough();
    const prompter = streamPrompter(input, recorder());
    const pending = prompter.ask('Device id:');
    input.end();
    await expect(pending).rejects.toMatchObject({ code: 'provision.answer_missing', params: { question: 'Device id:' } });
    await expect(prompter.ask('Again?')).rejects.toMatchObject({ code: 'provision.answer_missing' });
  });
});

describe('technician locale', () => {
  it('counts --lang, FACEGATE_LANG and a session language unlike the POSIX one as chosen', () => {
    expect(languageChosen('en', ['node', 'facegate', '--lang', 'en'], { LANG: 'en_US.UTF-8' })).toBe(true);
    expect(languageChosen('en', ['node', 'facegate'], { LANG: 'C', FACEGATE_LANG: 'en' })).toBe(true);
    expect(languageChosen('en', ['node', 'facegate'], { LANG: 'zh_MO.UTF-8' })).toBe(true);
    expect(languageChosen('zh-Hant', ['node', 'facegate'], { LANG: 'zh_MO.UTF-8' })).toBe(false);
    expect(technicianLocale('zh-Hant', false, 'zh-Hans')).toBe('zh-Hans');
    expect(technicianLocale('zh-Hant', true, 'zh-Hans')).toBe('zh-Hant');
    expect(technicianLocale('en', false, undefined)).toBe('en');
  });
});

describe('provision selftest on a terminal', () => {
  const configFile = path.join(root, 'facegate.yaml');
  fs.writeFileSync(
    configFile,
    [
      'device: { id: gate-01, site: mo-taipa, direction: in, locale: zh-Hant }',
      `stateDir: ${path.join(root, 'state')}`,
      'camera: { type: v4l2 }',
      'door:',
      '  gpio: { type: simulated }',
      '  relay: { line: GPIO17 }',
      '  leds: { green: GPIO22 }',
      '  exitButton: { line: GPIO5 }',
      'mqtt: { url: "mqtts://127.0.0.1:8883" }',
      'residency: { allowedBrokers: [127.0.0.1] }',
    ].join('\n'),
  );

  it('asks in the technician language and reads the answers', async () => {
    const gpio = new SimulatedGpio({ logger: captureLogs().logger });
    const prompter = scriptedPrompter(['是', 'n']);
    const result = await provision(
      ['selftest', '--config', configFile, '--skip', 'camera,vision,broker,clock', '--input-timeout', '3'],
      'zh-Hant',
      { prompter, selftest: { gpio: () => gpio } },
      (text) => {
        // Act as the technician: press the button when the instruction appears.
        if (text.includes('請現在按下並放開出門按鈕')) setTimeout(() => (gpio.press('exitButton'), setTimeout(() => gpio.release('exitButton'), 100)), 20);
      },
    );
    expect(prompter.questions).toEqual(['有沒有聽到繼電器「咔嗒」一聲（門鎖鬆開）？ [是=y／否=N]', '綠色 LED 有沒有亮起？ [是=y／否=N]']);
    expect(result.stdout).toContain('請現在按下並放開出門按鈕（等候 3 秒）');
    expect(result.stdout).toMatch(/繼電器\s+通過\s+通電 600 毫秒後釋放；已聽到咔嗒聲/);
    expect(result.stdout).toMatch(/綠色 LED\s+失敗/);
    expect(result.stdout).toMatch(/出門按鈕\s+通過/);
    expect(result.code).toBe(1);
  });

  it('needs a terminal unless --non-interactive is given', async () => {
    const result = await provision(['selftest', '--config', configFile], 'en', {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('run it on a terminal, or pass --non-interactive');
  });

  it('prints JSON rows with --json', async () => {
    const gpio = new SimulatedGpio({ logger: captureLogs().logger });
    const result = await provision(['selftest', '--config', configFile, '--non-interactive', '--json', '--skip', 'camera,vision,broker,clock'], 'en', { selftest: { gpio: () => gpio } });
    const rows = JSON.parse(result.stdout) as Array<{ check: string; status: string; detail?: string }>;
    expect(rows.find((row) => row.check === 'relay')).toMatchObject({ status: 'pass' });
    expect(rows.find((row) => row.check === 'exit-button')).toMatchObject({ status: 'pass', detail: 'simulated press and release read back on gpiochip0:5 (GPIO5)' });
    expect(result.code).toBe(0);
  });
});

describe('provision rotate-keys', () => {
  it('stages new keys and cancels them', async () => {
    const state = path.join(root, 'rotate');
    expect((await provision(['init', '--state', state, '--site', 'mo-taipa', '--device', 'gate-05'], 'en', {})).code).toBe(0);
    const rotated = await provision(['rotate-keys', '--state', state], 'en', {});
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('New keys are ready and wait for their certificate');
    expect(rotated.stdout).toContain(`New certificate request: ${path.join(state, 'tls', 'client.csr')}`);
    expect(fs.existsSync(path.join(state, 'tls', 'client.key.next'))).toBe(true);

    const again = await provision(['rotate-keys', '--state', state], 'zh-Hant', {});
    expect(again.stderr).toContain('上一次更換金鑰尚未完成；其金鑰已銷毀並重新產生');
    const cancelled = await provision(['rotate-keys', '--state', state, '--cancel'], 'en', {});
    expect(cancelled.stdout).toContain('The unfinished rotation was cancelled');
    expect(fs.existsSync(path.join(state, 'tls', 'client.key.next'))).toBe(false);
    expect(fs.existsSync(path.join(state, 'tls', 'client.key'))).toBe(true);
  });
});
