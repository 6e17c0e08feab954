import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { ChardevGpio } from './chardev.js';
import { parseGpioinfo, parseToolVersion } from './libgpiod-tools.js';
import { runTool } from './tool-process.js';

// These tests drive the real backend code and real subprocesses, with fixtures/fake-gpiod.mjs standing in for the
// libgpiod tools because this machine has no GPIO chip. The fake prints the tools' output formats and links a
// fake /proc/PID/fd entry when it "requests" a line, which is how the backend confirms a held line.
const FAKE_TOOL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-gpiod.mjs');
const TOOLS = ['gpioset', 'gpioget', 'gpiomon', 'gpioinfo', 'gpiodetect'];
// The installed tools come from the Debian package gpiod; CI installs it, a bare machine may not have it.
const HAS_INSTALLED_TOOLS = spawnSync('gpioset', ['--version']).status === 0;
const PI4_NAMES = ['ID_SDA', 'ID_SCL', ...Array.from({ length: 26 }, (_, i) => `GPIO${i + 2}`), ...Array.from({ length: 30 }, (_, i) => `SOC${i + 28}`)];

interface FakeSetup {
  root: string;
  state: string;
  proc: string;
  bin: string;
  dev: string;
}

let fake: FakeSetup;
const backends: ChardevGpio[] = [];

function writeConfig(config: object): void {
  writeFileSync(path.join(fake.state, 'config.json'), JSON.stringify(config));
}

function baseConfig(version: string, extra: object = {}): object {
  return {
    version,
    chips: [
      { name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: PI4_NAMES },
      { name: 'gpiochip1', label: 'raspberrypi-exp-gpio', lines: ['BT_ON', 'WL_ON', 'PWR_LED_OFF', 'GLOBAL_RESET', 'VDD_SD_IO_SEL', 'CAM_GPIO', 'SD_PWR_ON', 'SD_OC_N'] },
    ],
    ...extra,
  };
}

interface LogEntry {
  tool: string;
  pid: number;
  event: string;
  args?: string[];
  level?: number;
  value?: number;
}

function readLog(): LogEntry[] {
  const file = path.join(fake.state, 'log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEntry);
}

function level(chip: string, offset: number): string {
  return readFileSync(path.join(fake.state, `level-${chip}-${offset}`), 'utf8');
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = probe();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function backend(overrides: Partial<ConstructorParameters<typeof ChardevGpio>[0]> = {}): ChardevGpio {
  const created = new ChardevGpio({
    logger: silentLogger(),
    toolDir: fake.bin,
    devDir: fake.dev,
    procRoot: fake.proc,
    readyTimeoutMs: 3000,
    monitorRestartMs: 50,
    ...overrides,
  });
  backends.push(created);
  return created;
}

async function expectGpioError(promise: Promise<unknown>, code: string): Promise<FacegateError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FacegateError);
  expect((error as FacegateError).code).toBe(code);
  return error as FacegateError;
}

beforeEach(() => {
  const root = mkdtempSync(path.join(tmpdir(), 'facegate-chardev-'));
  fake = { root, state: path.join(root, 'state'), proc: path.join(root, 'proc'), bin: path.join(root, 'bin'), dev: path.join(root, 'dev') };
  for (const dir of [fake.state, fake.proc, fake.bin, fake.dev]) mkdirSync(dir);
  for (const tool of TOOLS) symlinkSync(FAKE_TOOL, path.join(fake.bin, tool));
  writeFileSync(path.join(fake.dev, 'gpiochip0'), '');
  writeFileSync(path.join(fake.dev, 'gpiochip1'), '');
  process.env.FAKE_GPIOD_DIR = fake.state;
  process.env.FAKE_PROC = fake.proc;
  writeConfig(baseConfig('1.6.3'));
});

afterEach(async () => {
  await Promise.all(backends.splice(0).map((created) => created.stop()));
  rmSync(fake.root, { recursive: true, force: true });
});

describe('ChardevGpio outputs', () => {
  it('drives an active-low line with libgpiod v1', async () => {
    const gpio = backend();
    await gpio.start();
    expect(gpio.toolVersion).toEqual({ major: 1, minor: 6, patch: 3 });

    const relay = await gpio.openOutput({ line: { name: 'GPIO17' }, activeLow: true, label: 'relay' });
    expect(relay.id).toBe('gpiochip0:17 (GPIO17)');
    expect(relay.value).toBe(false);
    expect(level('gpiochip0', 17)).toBe('1');
    expect(readLog().find((entry) => entry.event === 'set')?.args).toEqual(['--mode=signal', '--active-low', 'gpiochip0', '17=0']);

    await relay.set(true);
    expect(relay.value).toBe(true);
    expect(level('gpiochip0', 17)).toBe('0');
    const sets = readLog().filter((entry) => entry.event === 'set');
    expect(sets).toHaveLength(2);
    // The first gpioset released the line before the second one requested it.
    const released = readLog().filter((entry) => entry.event === 'released').map((entry) => entry.pid);
    expect(released).toContain(sets[0]!.pid);
  });

  it('skips a restart when the value is unchanged', async () => {
    const gpio = backend();
    await gpio.start();
    const led = await gpio.openOutput({ line: { chip: 'gpiochip0', offset: 5 } });
    await led.set(false);
    expect(readLog().filter((entry) => entry.event === 'set')).toHaveLength(1);
  });

  it('uses chip and consumer options with libgpiod v2', async () => {
    writeConfig(baseConfig('2.1.3'));
    const gpio = backend({ consumer: 'facegate-test' });
    await gpio.start();
    const relay = await gpio.openOutput({ line: { name: 'GPIO17' }, initial: false });
    await relay.set(true);
    expect(level('gpiochip0', 17)).toBe('1');
    expect(readLog().filter((entry) => entry.event === 'set').at(-1)?.args).toEqual([
      '--chip', 'gpiochip0', '--consumer', 'facegate-test', '17=1',
    ]);
  });

  it('recovers from a crashed gpioset', async () => {
    const gpio = backend();
    await gpio.start();
    const relay = await gpio.openOutput({ line: { name: 'GPIO17' } });
    await relay.set(true);
    const errors: Error[] = [];
    relay.on('error', (error) => errors.push(error));

    const holder = readLog().filter((entry) => entry.event === 'set').at(-1)!;
    process.kill(holder.pid, 'SIGKILL');
    await waitFor(() => errors.length > 0);
    expect((errors[0] as FacegateError).code).toBe('gpio.line_lost');
    expect(errors[0]!.message).toContain('gpiochip0:17 (GPIO17)');
    expect(relay.value).toBe(false);

    await relay.set(false);
    expect(level('gpiochip0', 17)).toBe('0');
  });

  it('releases every line on stop', async () => {
    const gpio = backend();
    await gpio.start();
    await gpio.openOutput({ line: { name: 'GPIO17' } });
    await gpio.openOutput({ line: { name: 'GPIO5' } });
    await gpio.openInput({ line: { name: 'GPIO27' } });
    expect(readdirSync(fake.proc)).toHaveLength(3);

    await gpio.stop();
    expect(readdirSync(fake.proc)).toHaveLength(0);
    expect(readLog().filter((entry) => entry.event === 'released')).toHaveLength(3);
  });
});

describe('ChardevGpio inputs', () => {
  it('reads initial value and edge timestamps', async () => {
    writeFileSync(path.join(fake.state, 'level-gpiochip0-27'), '1');
    const gpio = backend();
    await gpio.start();
    const button = await gpio.openInput({ line: { name: 'GPIO27' }, activeLow: true, bias: 'pull-up' });
    // Physical high on an active-low line reads inactive.
    expect(button.read()).toBe(false);

    const changes: Array<[boolean, bigint]> = [];
    button.on('change', (value, timestampNs) => changes.push([value, timestampNs]));
    appendFileSync(path.join(fake.state, 'edges-gpiochip0-27'), 'falling 7000000123\n');
    await waitFor(() => changes.length === 1);
    expect(changes[0]).toEqual([true, 7_000_000_123n]);
    expect(button.read()).toBe(true);

    const monitor = readLog().find((entry) => entry.event === 'monitor');
    expect(monitor?.args).toEqual(['--line-buffered', '--format=%e %s %n', '--active-low', '--bias=pull-up', 'gpiochip0', '27']);
  });

  it('debounces in software with libgpiod v1', async () => {
    const gpio = backend();
    await gpio.start();
    const contact = await gpio.openInput({ line: { name: 'GPIO22' }, debounceMs: 80 });
    const changes: Array<[boolean, bigint]> = [];
    contact.on('change', (value, timestampNs) => changes.push([value, timestampNs]));

    appendFileSync(path.join(fake.state, 'edges-gpiochip0-22'), 'rising 1000\nfalling 2000\nrising 3000\n');
    await waitFor(() => changes.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    // One change for the whole burst, stamped with its first edge.
    expect(changes).toEqual([[true, 1000n]]);
  });

  it('leaves debouncing to the kernel with libgpiod v2', async () => {
    writeConfig(baseConfig('2.1.3'));
    const gpio = backend();
    await gpio.start();
    const contact = await gpio.openInput({ line: { name: 'GPIO22' }, debounceMs: 80 });
    const changes: boolean[] = [];
    contact.on('change', (value) => changes.push(value));

    appendFileSync(path.join(fake.state, 'edges-gpiochip0-22'), 'rising 1000\nfalling 2000\n');
    await waitFor(() => changes.length === 2);
    expect(changes).toEqual([true, false]);
    expect(readLog().find((entry) => entry.event === 'monitor')?.args).toContain('80000us');
  });

  it('restarts crashed gpiomon, reports missed change', async () => {
    const gpio = backend();
    await gpio.start();
    const contact = await gpio.openInput({ line: { name: 'GPIO22' } });
    const errors: Error[] = [];
    const changes: boolean[] = [];
    contact.on('error', (error) => errors.push(error));
    contact.on('change', (value) => changes.push(value));

    const monitor = readLog().find((entry) => entry.event === 'monitor')!;
    writeFileSync(path.join(fake.state, 'level-gpiochip0-22'), '1');
    process.kill(monitor.pid, 'SIGKILL');

    await waitFor(() => readLog().filter((entry) => entry.event === 'monitor').length === 2);
    expect((errors[0] as FacegateError).code).toBe('gpio.line_lost');
    await waitFor(() => changes.length === 1);
    expect(changes).toEqual([true]);

    appendFileSync(path.join(fake.state, 'edges-gpiochip0-22'), 'falling\n');
    await waitFor(() => changes.length === 2);
    expect(contact.read()).toBe(false);
  });
});

describe('ChardevGpio errors', () => {
  it('lists searched chips for a missing name', async () => {
    const gpio = backend();
    await gpio.start();
    const error = await expectGpioError(gpio.openOutput({ line: { name: 'GPIO40' } }), 'gpio.line_not_found');
    expect(error.message).toBe(
      'GPIO line "GPIO40" not found; chips searched: gpiochip0 [pinctrl-bcm2711] (58 lines), gpiochip1 [raspberrypi-exp-gpio] (8 lines).',
    );
    expect(error.hint).toContain('gpioinfo');
    expect(error.hint).toContain('group gpio');
  });

  it('rejects a chip that is not present', async () => {
    const gpio = backend();
    await gpio.start();
    const error = await expectGpioError(gpio.openOutput({ line: { chip: 'gpiochip4', offset: 17 } }), 'gpio.chip_not_found');
    expect(error.message).toContain('gpiochip4');
  });

  it('searches only the configured chip for names', async () => {
    const gpio = backend({ chip: 'gpiochip1' });
    await gpio.start();
    await expectGpioError(gpio.openOutput({ line: { name: 'GPIO17' } }), 'gpio.line_not_found');
    const led = await gpio.openOutput({ line: { name: 'WL_ON' } });
    expect(led.id).toBe('gpiochip1:1 (WL_ON)');
  });

  it('rejects an offset past the end of the chip', async () => {
    const gpio = backend();
    await gpio.start();
    await expectGpioError(gpio.openInput({ line: { chip: 'gpiochip1', offset: 8 } }), 'gpio.offset_out_of_range');
  });

  it('rejects a line that another program holds', async () => {
    writeConfig(baseConfig('1.6.3', { used: { 'gpiochip0:17': 'gpioset' } }));
    const gpio = backend();
    await gpio.start();
    const error = await expectGpioError(gpio.openOutput({ line: { name: 'GPIO17' } }), 'gpio.line_busy');
    expect(error.message).toContain('"gpioset"');
  });

  it('translates a permission failure into the fix', async () => {
    writeConfig(baseConfig('1.6.3', { fail: { gpioset: 'Permission denied' } }));
    const gpio = backend();
    await gpio.start();
    const error = await expectGpioError(gpio.openOutput({ line: { name: 'GPIO17' } }), 'gpio.permission_denied');
    expect(error.message).toContain(path.join(fake.dev, 'gpiochip0'));
    expect(error.hint).toContain('usermod -aG gpio');
  });

  it('fails when gpioset never requests its line', async () => {
    writeConfig(baseConfig('1.6.3', { hang: ['gpioset'] }));
    const gpio = backend({ readyTimeoutMs: 300 });
    await gpio.start();
    const error = await expectGpioError(gpio.openOutput({ line: { name: 'GPIO17' } }), 'gpio.tool_failed');
    expect(error.message).toContain('did not request its line within 300 ms');
    expect(error.hint).toContain(`${path.join(fake.bin, 'gpioset')} --mode=signal gpiochip0 17=0`);
  });

  it('reports a busy input read by gpioget', async () => {
    writeConfig(baseConfig('1.6.3', { fail: { gpioget: 'Device or resource busy' } }));
    const gpio = backend();
    await gpio.start();
    const error = await expectGpioError(gpio.openInput({ line: { name: 'GPIO27' } }), 'gpio.line_busy');
    expect(error.message).toContain('gpiochip0:27 (GPIO27)');
  });

  it('reports missing tools', async () => {
    const gpio = backend({ toolDir: path.join(fake.root, 'empty') });
    const error = await expectGpioError(gpio.start(), 'gpio.tool_missing');
    expect(error.hint).toContain('apt-get install gpiod');
  });

  it('reports a board without GPIO chips', async () => {
    rmSync(path.join(fake.dev, 'gpiochip0'));
    rmSync(path.join(fake.dev, 'gpiochip1'));
    const error = await expectGpioError(backend().start(), 'gpio.chip_missing');
    expect(error.message).toContain(fake.dev);
  });

  it.skipIf(existsSync('/dev/gpiochip0'))('reports no chip on this machine', async () => {
    // This machine has no /dev/gpiochip*, which is what the check finds before it runs any tool.
    const gpio = new ChardevGpio({ logger: silentLogger() });
    await expectGpioError(gpio.start(), 'gpio.chip_missing');
  });

  it.skipIf(!HAS_INSTALLED_TOOLS)('parses the installed libgpiod tools', async () => {
    // The Debian package gpiod; without a chip, gpioinfo lists nothing and exits 0.
    const version = parseToolVersion((await runTool('gpioset', ['--version'], 5000)).stdout);
    expect([1, 2]).toContain(version?.major);
    const info = await runTool('gpioinfo', [], 5000);
    expect(info.spawnError).toBeUndefined();
    const chipCount = readdirSync('/dev').filter((entry) => /^gpiochip\d+$/.test(entry)).length;
    expect(parseGpioinfo(info.stdout)).toHaveLength(chipCount);
  });
});
