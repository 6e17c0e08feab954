import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { systemClock } from './clock.js';
import { Debouncer } from './debounce.js';
import { SimulatedGpio } from './simulated.js';

async function started(): Promise<SimulatedGpio> {
  const gpio = new SimulatedGpio({ logger: silentLogger() });
  await gpio.start();
  return gpio;
}

async function rejection(promise: Promise<unknown>): Promise<FacegateError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(FacegateError);
  return error as FacegateError;
}

describe('SimulatedGpio outputs', () => {
  it('records every transition with level and timestamps', async () => {
    const gpio = await started();
    const relay = await gpio.openOutput({ line: { name: 'GPIO17' }, activeLow: true, label: 'relay' });
    await relay.set(true);
    await relay.set(true);
    await relay.set(false);
    await relay.close();

    const log = gpio.transitions('GPIO17');
    expect(log.map((entry) => [entry.cause, entry.value, entry.level])).toEqual([
      ['open', false, 1],
      ['set', true, 0],
      ['set', false, 1],
      ['release', false, 1],
    ]);
    expect(log.every((entry) => entry.line === 'gpiochip0:17 (GPIO17)' && entry.label === 'relay')).toBe(true);
    for (let index = 1; index < log.length; index++) {
      expect(log[index]!.monotonicNs >= log[index - 1]!.monotonicNs).toBe(true);
    }
    expect(log[0]!.wallTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('formats a readable log', async () => {
    const gpio = await started();
    const led = await gpio.openOutput({ line: { chip: 'gpiochip0', offset: 5 }, label: 'led.green' });
    await led.set(true);
    const lines = gpio.formatLog().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/\+\s+\d+\.\d{3} ms {2}led\.green\s+gpiochip0:5 \(GPIO5\)\s+output active {3}level=1 \(set\)$/);
  });

  it('rejects unknown, busy and early opens', async () => {
    const early = new SimulatedGpio({ logger: silentLogger() });
    expect((await rejection(early.openOutput({ line: { name: 'GPIO17' } }))).code).toBe('gpio.not_started');

    const gpio = await started();
    const missing = await rejection(gpio.openOutput({ line: { name: 'GPIO40' } }));
    expect(missing.code).toBe('gpio.line_not_found');
    expect(missing.message).toContain('gpiochip0 [simulated-header] (28 lines)');

    await gpio.openOutput({ line: { name: 'GPIO17' }, label: 'relay' });
    const busy = await rejection(gpio.openInput({ line: { chip: 'gpiochip0', offset: 17 } }));
    expect(busy.code).toBe('gpio.line_busy');
    expect(busy.message).toContain('facegate relay');
  });

  it('injects set failures and lost lines', async () => {
    const gpio = await started();
    const relay = await gpio.openOutput({ line: { name: 'GPIO17' }, label: 'relay' });
    gpio.injectFault('relay', 'set', 'relay driver fault');
    const fault = await rejection(relay.set(true));
    expect(fault.code).toBe('gpio.simulated_fault');
    expect(fault.message).toContain('relay driver fault');
    expect(relay.value).toBe(false);

    await relay.set(true);
    const errors: Error[] = [];
    relay.on('error', (error) => errors.push(error));
    gpio.injectFault('relay', 'lost');
    expect((errors[0] as FacegateError).code).toBe('gpio.line_lost');
    expect(gpio.outputValue('relay')).toBe(false);
  });
});

describe('SimulatedGpio inputs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts at the bias level and follows presses', async () => {
    const gpio = await started();
    const button = await gpio.openInput({ line: { name: 'GPIO27' }, activeLow: true, bias: 'pull-up', label: 'exit' });
    expect(button.read()).toBe(false);

    const changes: Array<[boolean, bigint]> = [];
    button.on('change', (value, timestampNs) => changes.push([value, timestampNs]));
    gpio.press('exit');
    expect(changes).toHaveLength(1);
    expect(changes[0]![0]).toBe(true);
    expect(gpio.transitions('exit').at(-1)).toMatchObject({ cause: 'change', value: true, level: 0 });
  });

  it('debounces a bouncing contact', async () => {
    const gpio = await started();
    const contact = await gpio.openInput({ line: { name: 'GPIO22' }, debounceMs: 20, label: 'contact' });
    const changes: Array<[boolean, bigint]> = [];
    contact.on('change', (value, timestampNs) => changes.push([value, timestampNs]));

    gpio.setInput('contact', true, 1_000n);
    await vi.advanceTimersByTimeAsync(5);
    gpio.setInput('contact', false, 2_000n);
    await vi.advanceTimersByTimeAsync(5);
    gpio.setInput('contact', true, 3_000n);
    await vi.advanceTimersByTimeAsync(19);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(changes).toEqual([[true, 1_000n]]);
    expect(gpio.transitions('contact').filter((entry) => entry.cause === 'edge')).toHaveLength(3);
  });
});

describe('Debouncer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ignores a bounce that returns to the stable value', async () => {
    const changes: boolean[] = [];
    const debouncer = new Debouncer(false, 10, systemClock, (value) => changes.push(value));
    debouncer.push(true, 1n);
    debouncer.push(false, 2n);
    await vi.advanceTimersByTimeAsync(50);
    expect(changes).toEqual([]);
    expect(debouncer.value).toBe(false);
  });

  it('passes edges through without a period', () => {
    const changes: boolean[] = [];
    const debouncer = new Debouncer(false, 0, systemClock, (value) => changes.push(value));
    debouncer.push(true, 1n);
    debouncer.push(true, 2n);
    debouncer.push(false, 3n);
    expect(changes).toEqual([true, false]);
  });

  it('drops a pending value on cancel', async () => {
    const changes: boolean[] = [];
    const debouncer = new Debouncer(false, 10, systemClock, (value) => changes.push(value));
    debouncer.push(true, 1n);
    debouncer.cancel();
    await vi.advanceTimersByTimeAsync(50);
    expect(changes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
