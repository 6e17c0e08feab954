import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../appliance/common/logger.js';
import { ChardevGpio } from '../appliance/gpio/chardev.js';
import { SysfsGpio } from '../appliance/gpio/sysfs.js';
import type { GpioBackend, InputLine } from '../appliance/gpio/types.js';
import { DoorController } from '../appliance/door/door-controller.js';

// Needs a board with an output line wired to an input line through a 1 kΩ resistor (see README.md).
// FACEGATE_HW_OUTPUT and FACEGATE_HW_INPUT name the lines; GPIO17 (pin 11) and GPIO27 (pin 13) by default.
const OUTPUT = process.env.FACEGATE_HW_OUTPUT ?? 'GPIO17';
const INPUT = process.env.FACEGATE_HW_INPUT ?? 'GPIO27';
const HAS_CHIP = existsSync('/dev') && readdirSync('/dev').some((entry) => /^gpiochip\d+$/.test(entry));
const HAS_SYSFS = existsSync('/sys/class/gpio/export');
const logger = createLogger({ level: process.env.FACEGATE_LOG_LEVEL ?? 'warn', name: 'hardware-tests' });

const backends: GpioBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.stop()));
});

/** Resolve once the input reports `value`, with the time from the call in ms. */
function nextChange(input: InputLine, value: boolean, timeoutMs = 1000): Promise<{ ms: number; timestampNs: bigint }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`input did not become ${value} within ${timeoutMs} ms; check the jumper`)), timeoutMs);
    const listener = (next: boolean, timestampNs: bigint): void => {
      if (next !== value) return;
      clearTimeout(timer);
      input.off('change', listener);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, timestampNs });
    };
    input.on('change', listener);
  });
}

describe.skipIf(!HAS_CHIP)('chardev backend on a board (no /dev/gpiochip* here, so skipped)', () => {
  it('loops an output back to an input', async () => {
    const gpio = new ChardevGpio({ logger });
    backends.push(gpio);
    await gpio.start();
    const input = await gpio.openInput({ line: { name: INPUT }, bias: 'pull-down', label: 'loop-in' });
    const output = await gpio.openOutput({ line: { name: OUTPUT }, label: 'loop-out' });
    expect(input.read()).toBe(false);

    const rising = nextChange(input, true);
    await output.set(true);
    const up = await rising;
    expect(input.read()).toBe(true);
    // The kernel stamps edges with CLOCK_MONOTONIC, the clock of process.hrtime.bigint().
    expect(Number(process.hrtime.bigint() - up.timestampNs) / 1e6).toBeLessThan(1000);

    const falling = nextChange(input, false);
    await output.set(false);
    await falling;
    logger.warn({ riseMs: up.ms }, 'chardev loopback latency');
  });

  it('inverts an active-low output', async () => {
    const gpio = new ChardevGpio({ logger });
    backends.push(gpio);
    await gpio.start();
    const input = await gpio.openInput({ line: { name: INPUT }, bias: 'pull-down' });
    const output = await gpio.openOutput({ line: { name: OUTPUT }, activeLow: true, initial: false });
    // Inactive on an active-low line is a high pin.
    expect(input.read()).toBe(true);
    const falling = nextChange(input, false);
    await output.set(true);
    await falling;
  });

  it('pulses the relay for the configured time', async () => {
    const gpio = new ChardevGpio({ logger });
    backends.push(gpio);
    await gpio.start();
    const probe = await gpio.openInput({ line: { name: INPUT }, bias: 'pull-down' });
    const door = new DoorController({ gpio, logger, relay: { line: { name: OUTPUT }, pulseMs: 300 } });
    await door.start();
    try {
      const on = nextChange(probe, true);
      await door.grant({ reason: 'remote' });
      const rise = await on;
      const fall = await nextChange(probe, false, 2000);
      const pulseMs = Number(fall.timestampNs - rise.timestampNs) / 1e6;
      // gpioset restarts add a few tens of milliseconds on a Pi 4.
      expect(pulseMs).toBeGreaterThanOrEqual(290);
      expect(pulseMs).toBeLessThan(450);
    } finally {
      await door.stop();
    }
  });

  it('names the chips searched for a missing line', async () => {
    const gpio = new ChardevGpio({ logger });
    backends.push(gpio);
    await gpio.start();
    await expect(gpio.openOutput({ line: { name: 'NO_SUCH_LINE' } })).rejects.toMatchObject({
      code: 'gpio.line_not_found',
      message: expect.stringContaining('gpiochip'),
    });
  });
});

describe.skipIf(!HAS_SYSFS)('sysfs backend on a board (no /sys/class/gpio here, so skipped)', () => {
  it('loops an output back to an input', async () => {
    const gpio = new SysfsGpio({ logger });
    backends.push(gpio);
    await gpio.start();
    expect(gpio.numberOf({ name: OUTPUT })).toBeGreaterThanOrEqual(gpio.chips[0]!.base);
    const input = await gpio.openInput({ line: { name: INPUT } });
    const output = await gpio.openOutput({ line: { name: OUTPUT } });
    const rising = nextChange(input, true);
    await output.set(true);
    await rising;
    const falling = nextChange(input, false);
    await output.set(false);
    await falling;
  });
});
