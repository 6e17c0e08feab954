import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { SimulatedGpio, type GpioTransition } from '../gpio/simulated.js';
import { DoorController, type DoorControllerOptions, type DoorEvents } from './door-controller.js';

const MS = 1_000_000n;

/** Start a simulated GPIO and build a door controller on it with only the given parts, not yet started. */
async function bareDoor(parts: Omit<DoorControllerOptions, 'gpio' | 'logger'>): Promise<{ gpio: SimulatedGpio; door: DoorController }> {
  const gpio = new SimulatedGpio({ logger: silentLogger() });
  await gpio.start();
  return { gpio, door: new DoorController({ gpio, logger: silentLogger(), ...parts }) };
}

interface Rig {
  gpio: SimulatedGpio;
  door: DoorController;
  events: Array<{ name: keyof DoorEvents; payload: unknown }>;
  t0: bigint;
}

async function rig(overrides: Partial<DoorControllerOptions> = {}): Promise<Rig> {
  const gpio = new SimulatedGpio({ logger: silentLogger() });
  await gpio.start();
  const door = new DoorController({
    gpio,
    logger: silentLogger(),
    relay: { line: { name: 'GPIO17' }, activeLow: true, pulseMs: 3000, maxPulseMs: 5000, cooldownMs: 2000 },
    exitButton: { line: { name: 'GPIO27' }, activeLow: true, bias: 'pull-up', debounceMs: 50 },
    doorContact: { line: { name: 'GPIO22' }, bias: 'pull-down', debounceMs: 20, heldOpenMs: 10_000, openGraceMs: 1000 },
    signals: {
      green: { line: { name: 'GPIO5' } },
      red: { line: { name: 'GPIO6' } },
      amber: { line: { name: 'GPIO13' } },
      buzzer: { line: { name: 'GPIO19' } },
    },
    ...overrides,
  });
  const events: Rig['events'] = [];
  for (const name of ['unlocked', 'locked', 'exit', 'opened', 'forced', 'heldOpen', 'closed', 'fault'] as const) {
    door.on(name, (payload) => events.push({ name, payload }));
  }
  const t0 = process.hrtime.bigint();
  await door.start();
  return { gpio, door, events, t0 };
}

/** Output transitions of one line after open, as [ms since t0, logical value, pin level]. */
function timeline(setup: Rig, label: string): Array<[number, boolean, number]> {
  return setup.gpio
    .transitions(label)
    .filter((entry: GpioTransition) => entry.cause !== 'open')
    .map((entry) => [Number((entry.monotonicNs - setup.t0) / MS), entry.value, entry.level]);
}

function names(setup: Rig): string[] {
  return setup.events.map((event) => event.name);
}

describe('DoorController relay', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts with the relay de-energised', async () => {
    const setup = await rig();
    const opened = setup.gpio.transitions('relay')[0]!;
    expect(opened).toMatchObject({ cause: 'open', value: false, level: 1 });
    expect(setup.door.state).toEqual({ relayEnergised: false, doorOpen: false, alarm: undefined, background: undefined });
    await setup.door.stop();
  });

  it('pulses for exactly pulseMs with an active-low relay', async () => {
    const setup = await rig();
    const result = await setup.door.grant({ reason: 'face' });
    expect(result.actuated).toBe(true);
    await vi.advanceTimersByTimeAsync(2999);
    expect(setup.door.state.relayEnergised).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(timeline(setup, 'relay')).toEqual([
      [0, true, 0],
      [3000, false, 1],
    ]);
    expect(names(setup)).toEqual(['unlocked', 'locked']);
    expect(setup.events[1]!.payload).toMatchObject({ cause: 'pulse-end', energisedMs: 3000 });
    await setup.door.stop();
  });

  it('drives an active-high relay high', async () => {
    const setup = await rig({ relay: { line: { name: 'GPIO17' }, activeLow: false, pulseMs: 500 } });
    await setup.door.grant({ reason: 'pin' });
    await vi.advanceTimersByTimeAsync(500);
    expect(timeline(setup, 'relay')).toEqual([
      [0, true, 1],
      [500, false, 0],
    ]);
    await setup.door.stop();
  });

  it('caps re-triggered pulses at maxPulseMs, then cools down', async () => {
    const setup = await rig();
    await setup.door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(await setup.door.grant({ reason: 'face' })).toMatchObject({ actuated: true });
    await vi.advanceTimersByTimeAsync(2500);
    // At 4500 ms only 500 ms remain before the 5000 ms cap.
    const capped = await setup.door.grant({ reason: 'face' });
    expect(capped.actuated).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(setup.door.state.relayEnergised).toBe(false);

    await vi.advanceTimersByTimeAsync(100);
    expect(await setup.door.grant({ reason: 'face' })).toEqual({ actuated: false, rejection: 'cooldown' });
    await vi.advanceTimersByTimeAsync(1900);
    expect((await setup.door.grant({ reason: 'face' })).actuated).toBe(true);

    expect(timeline(setup, 'relay')).toEqual([
      [0, true, 0],
      [5000, false, 1],
      [7000, true, 0],
    ]);
    const locked = setup.events.find((event) => event.name === 'locked');
    expect(locked?.payload).toMatchObject({ cause: 'max-pulse', energisedMs: 5000 });
    await setup.door.stop();
  });

  it('locks and releases every timer on stop', async () => {
    const setup = await rig();
    await setup.door.grant({ reason: 'face' });
    setup.door.signal('busy');
    await vi.advanceTimersByTimeAsync(1000);
    await setup.door.stop();

    expect(timeline(setup, 'relay')).toEqual([
      [0, true, 0],
      [1000, false, 1],
      [1000, false, 1],
    ]);
    expect(setup.gpio.transitions('relay').at(-1)?.cause).toBe('release');
    expect(setup.events.find((event) => event.name === 'locked')?.payload).toMatchObject({ cause: 'stop' });
    expect(vi.getTimerCount()).toBe(0);
    expect(await setup.door.grant({ reason: 'face' })).toEqual({ actuated: false, rejection: 'stopped' });
  });

  it('stays de-energised when the relay fails to switch', async () => {
    const setup = await rig();
    setup.gpio.injectFault('relay', 'set', 'driver fault');
    expect(await setup.door.grant({ reason: 'face' })).toEqual({ actuated: false, rejection: 'fault' });
    expect(timeline(setup, 'relay')).toEqual([]);
    const fault = setup.events.find((event) => event.name === 'fault')?.payload as DoorEvents['fault'];
    expect(fault.component).toBe('relay');
    expect((fault.error as FacegateError).code).toBe('gpio.simulated_fault');
    expect(vi.getTimerCount()).toBe(0);
    await setup.door.stop();
  });

  it('ends the pulse when the relay line is lost', async () => {
    const setup = await rig();
    await setup.door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(200);
    setup.gpio.injectFault('relay', 'lost');
    await vi.advanceTimersByTimeAsync(0);
    expect(setup.door.state.relayEnergised).toBe(false);
    expect(setup.events.find((event) => event.name === 'locked')?.payload).toMatchObject({ cause: 'fault', energisedMs: 200 });
    expect(names(setup)).toContain('fault');

    // The next grant drives the relay again.
    expect((await setup.door.grant({ reason: 'face' })).actuated).toBe(true);
    expect(timeline(setup, 'relay').at(-1)).toEqual([200, true, 0]);
    await setup.door.stop();
  });

  it('rejects a max pulse below the pulse', async () => {
    const gpio = new SimulatedGpio({ logger: silentLogger() });
    const create = () =>
      new DoorController({ gpio, logger: silentLogger(), relay: { line: { name: 'GPIO17' }, pulseMs: 5000, maxPulseMs: 4000 } });
    expect(create).toThrow(expect.objectContaining({ code: 'door.invalid_timing' }));
  });

  it('raises the default max pulse for long pulses', async () => {
    const { door, gpio } = await bareDoor({ relay: { line: { name: 'GPIO17' }, pulseMs: 8000 } });
    await door.start();
    const t0 = process.hrtime.bigint();
    await door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(7000);
    await door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(9000);
    // A 10 s cap would lock at 10 000 ms; the 16 s default (2 × 8000 ms) allows the full extension.
    const off = gpio.transitions('relay').find((entry) => entry.cause === 'set' && !entry.value)!;
    expect(Number((off.monotonicNs - t0) / MS)).toBe(15_000);
    await door.stop();
  });

  it('releases opened lines when start fails', async () => {
    const { gpio, door } = await bareDoor({
      relay: { line: { name: 'GPIO17' } },
      exitButton: { line: { name: 'GPIO99' } },
    });
    await expect(door.start()).rejects.toMatchObject({ code: 'gpio.line_not_found' });
    expect(gpio.transitions('GPIO17').map((entry) => entry.cause)).toEqual(['open', 'release']);
    // The relay line is free again.
    await expect(gpio.openOutput({ line: { name: 'GPIO17' } })).resolves.toBeDefined();
  });
});

describe('DoorController inputs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens on the exit button and reports one exit per debounced press', async () => {
    const setup = await rig();
    setup.gpio.press('exitButton');
    await vi.advanceTimersByTimeAsync(10);
    setup.gpio.release('exitButton');
    await vi.advanceTimersByTimeAsync(10);
    setup.gpio.press('exitButton');
    await vi.advanceTimersByTimeAsync(49);
    expect(names(setup)).not.toContain('exit');
    await vi.advanceTimersByTimeAsync(1);

    const exits = setup.events.filter((event) => event.name === 'exit');
    expect(exits).toHaveLength(1);
    expect(exits[0]!.payload).toMatchObject({ actuated: true });
    // The press is stamped with its first edge, before debouncing.
    expect((exits[0]!.payload as DoorEvents['exit']).timestampNs - setup.t0).toBe(0n);
    expect(timeline(setup, 'relay')).toEqual([[70, true, 0]]);
    // Exit opens silently: no granted pattern.
    expect(timeline(setup, 'signal.green')).toEqual([]);
    await setup.door.stop();
  });

  it('raises forced for an opening without a grant', async () => {
    const setup = await rig();
    setup.gpio.setInput('doorContact', true);
    await vi.advanceTimersByTimeAsync(20);
    expect(names(setup)).toEqual(['opened', 'forced']);
    expect(setup.events[0]!.payload).toMatchObject({ authorised: false });
    expect(setup.door.state).toMatchObject({ doorOpen: true, alarm: 'forced' });

    setup.gpio.setInput('doorContact', false);
    await vi.advanceTimersByTimeAsync(20);
    expect(setup.events.at(-1)).toMatchObject({ name: 'closed', payload: { alarm: 'forced', openForMs: 20 } });
    await setup.door.stop();
  });

  it('accepts openings during the pulse and the grace time only', async () => {
    const setup = await rig();
    await setup.door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(1000);
    setup.gpio.setInput('doorContact', true);
    await vi.advanceTimersByTimeAsync(1000);
    setup.gpio.setInput('doorContact', false);
    // Relay locks at 3000; an opening at 3900 is inside the 1000 ms grace.
    await vi.advanceTimersByTimeAsync(1900);
    setup.gpio.setInput('doorContact', true);
    await vi.advanceTimersByTimeAsync(500);
    setup.gpio.setInput('doorContact', false);
    await vi.advanceTimersByTimeAsync(600);
    // At 5000 the grace is over.
    setup.gpio.setInput('doorContact', true);
    await vi.advanceTimersByTimeAsync(20);

    const opened = setup.events.filter((event) => event.name === 'opened').map((event) => (event.payload as DoorEvents['opened']).authorised);
    expect(opened).toEqual([true, true, false]);
    expect(names(setup).filter((name) => name === 'forced')).toHaveLength(1);
    await setup.door.stop();
  });

  it('raises heldOpen once the door stays open too long', async () => {
    const setup = await rig();
    await setup.door.grant({ reason: 'badge' });
    setup.gpio.setInput('doorContact', true);
    await vi.advanceTimersByTimeAsync(9999);
    expect(names(setup)).not.toContain('heldOpen');
    await vi.advanceTimersByTimeAsync(20);
    const heldOpen = setup.events.find((event) => event.name === 'heldOpen')!.payload as DoorEvents['heldOpen'];
    expect(heldOpen.openForMs).toBe(10_000);
    expect(setup.door.state.alarm).toBe('heldOpen');

    setup.gpio.setInput('doorContact', false);
    await vi.advanceTimersByTimeAsync(20);
    expect(setup.events.at(-1)).toMatchObject({ name: 'closed', payload: { alarm: 'heldOpen', openForMs: 10_019 } });
    expect(setup.door.state).toMatchObject({ doorOpen: false, alarm: undefined });
    await setup.door.stop();
  });

  it('defaults inputs to switches wired to ground with pull-ups', async () => {
    const { gpio, door } = await bareDoor({
      relay: { line: { name: 'GPIO17' } },
      exitButton: { line: { name: 'GPIO27' } },
      doorContact: { line: { name: 'GPIO22' } },
    });
    await door.start();
    // Pulled up: the button reads released (high, active-low) and an unconnected contact reads open.
    expect(gpio.transitions('exitButton')[0]).toMatchObject({ value: false, level: 1 });
    expect(gpio.transitions('doorContact')[0]).toMatchObject({ value: true, level: 1 });
    expect(door.state.doorOpen).toBe(true);
    gpio.setInput('doorContact', false);
    await vi.advanceTimersByTimeAsync(100);
    expect(door.state.doorOpen).toBe(false);
    await door.stop();
  });

  it('watches a door already open at start without calling it forced', async () => {
    const { door } = await bareDoor({
      relay: { line: { name: 'GPIO17' } },
      doorContact: { line: { name: 'GPIO22' }, activeLow: true, bias: 'pull-down', heldOpenMs: 1000 },
    });
    const seen: string[] = [];
    door.on('forced', () => seen.push('forced')).on('heldOpen', () => seen.push('heldOpen'));
    await door.start();
    expect(door.state.doorOpen).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual(['heldOpen']);
    await door.stop();
  });
});

describe('DoorController signals', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('plays granted: green for 2 s with one 150 ms beep', async () => {
    const setup = await rig();
    await setup.door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(2500);
    expect(timeline(setup, 'signal.green')).toEqual([
      [0, true, 1],
      [2000, false, 0],
    ]);
    expect(timeline(setup, 'signal.buzzer')).toEqual([
      [0, true, 1],
      [150, false, 0],
    ]);
    expect(timeline(setup, 'signal.red')).toEqual([]);
    await setup.door.stop();
  });

  it('plays denied: red with three beeps', async () => {
    const setup = await rig();
    setup.door.deny();
    await vi.advanceTimersByTimeAsync(2000);
    expect(timeline(setup, 'signal.red')).toEqual([
      [0, true, 1],
      [1500, false, 0],
    ]);
    expect(timeline(setup, 'signal.buzzer').map(([ms, value]) => [ms, value])).toEqual([
      [0, true],
      [100, false],
      [200, true],
      [300, false],
      [400, true],
      [500, false],
    ]);
    expect(timeline(setup, 'relay')).toEqual([]);
    await setup.door.stop();
  });

  it('returns to the busy background after a foreground pattern', async () => {
    const setup = await rig();
    setup.door.signal('busy');
    await vi.advanceTimersByTimeAsync(600);
    await setup.door.grant({ reason: 'face' });
    await vi.advanceTimersByTimeAsync(2000);
    await vi.advanceTimersByTimeAsync(300);
    expect(timeline(setup, 'signal.amber').map(([ms, value]) => [ms, value])).toEqual([
      [0, true],
      [250, false],
      [500, true],
      [600, false],
      [2600, true],
      [2850, false],
    ]);
    expect(setup.door.state.background).toBe('busy');
    await setup.door.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('blinks offline until cleared', async () => {
    const setup = await rig();
    setup.door.signal('offline');
    await vi.advanceTimersByTimeAsync(4000);
    setup.door.clearBackground();
    await vi.advanceTimersByTimeAsync(4000);
    expect(timeline(setup, 'signal.amber').map(([ms, value]) => [ms, value])).toEqual([
      [0, true],
      [100, false],
      [2000, true],
      [2100, false],
      [4000, true],
      [4000, false],
    ]);
    await setup.door.stop();
  });

  it('rejects a pattern with a zero-length frame', async () => {
    await expect(rig({ patterns: { granted: { frames: [{ ms: 0, green: true }], repeat: 1 } } })).rejects.toMatchObject({
      code: 'door.invalid_pattern',
    });
  });
});

describe('DoorController with real timers', () => {
  it('holds the relay for the pulse length', async () => {
    const setup = await rig({ relay: { line: { name: 'GPIO17' }, pulseMs: 80 } });
    await setup.door.grant({ reason: 'face' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [on, off] = setup.gpio.transitions('relay').filter((entry) => entry.cause === 'set');
    const heldMs = Number(off!.monotonicNs - on!.monotonicNs) / 1e6;
    expect(heldMs).toBeGreaterThanOrEqual(79);
    expect(heldMs).toBeLessThan(150);
    await setup.door.stop();
  });

  it('debounces a real bouncing exit button', async () => {
    const setup = await rig();
    for (let bounce = 0; bounce < 5; bounce++) {
      setup.gpio.press('exitButton');
      await new Promise((resolve) => setTimeout(resolve, 2));
      setup.gpio.release('exitButton');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    setup.gpio.press('exitButton');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(setup.events.filter((event) => event.name === 'exit')).toHaveLength(1);
    expect(setup.door.state.relayEnergised).toBe(true);
    await setup.door.stop();
  });
});
