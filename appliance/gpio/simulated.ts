import { EventEmitter } from 'node:events';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { systemClock, type Clock } from './clock.js';
import { Debouncer } from './debounce.js';
import { describeChips, findLine, type GpioChipInfo, type ResolvedLine } from './libgpiod-tools.js';
import { gpioError } from './messages.js';
import {
  describeLineSpec,
  lineLabel,
  type Bias,
  type GpioBackend,
  type InputLine,
  type InputLineOptions,
  type OutputLine,
  type OutputLineOptions,
} from './types.js';

/** One recorded change of a simulated line. */
export interface GpioTransition {
  sequence: number;
  /** Resolved line, such as `gpiochip0:17 (GPIO17)`. */
  line: string;
  label: string;
  direction: 'output' | 'input';
  /** Logical value after the transition. */
  value: boolean;
  /** Pin level after the transition: the logical value inverted for active-low lines. */
  level: 0 | 1;
  /** open: requested; set: driven by the daemon; release: closed; edge: raw input edge; change: debounced input. */
  cause: 'open' | 'set' | 'release' | 'edge' | 'change';
  monotonicNs: bigint;
  wallTime: string;
}

export interface SimulatedChip {
  name: string;
  label?: string;
  lines: string[];
}

export interface SimulatedGpioOptions {
  logger: Logger;
  clock?: Clock;
  /** Chips and their line names; a Raspberry Pi 40-pin header on gpiochip0 by default. */
  chips?: SimulatedChip[];
}

const PI_HEADER_NAMES = ['ID_SDA', 'ID_SCL', ...Array.from({ length: 26 }, (_, index) => `GPIO${index + 2}`)];

/** A reference to a line in test helpers: its label (`relay`), its name (`GPIO17`) or `chip:offset`. */
export type SimulatedLineRef = string;

interface LineState {
  resolved: ResolvedLine;
  id: string;
  /** Pin level; for inputs this is what the outside world drives. */
  level: 0 | 1;
  /** Whether anything has set the level yet; an untouched input rests at its bias level. */
  driven: boolean;
  /** Label of the last owner, so tests can still find a line after it was closed. */
  lastLabel: string | undefined;
  owner: SimulatedOutputLine | SimulatedInputLine | undefined;
}

/**
 * GPIO without hardware, for tests and the demo. Every transition of every line is recorded with
 * CLOCK_MONOTONIC and wall time, and tests drive the inputs with press(), release() and setInput().
 * Used only when the configuration sets `type: simulated`, and no other backend falls back to it.
 */
export class SimulatedGpio implements GpioBackend {
  readonly type = 'simulated';
  private readonly clock: Clock;
  private readonly chips: GpioChipInfo[];
  private readonly states = new Map<string, LineState>();
  private readonly log: GpioTransition[] = [];
  private readonly faults = new Map<string, string>();
  private started = false;

  constructor(private readonly options: SimulatedGpioOptions) {
    this.clock = options.clock ?? systemClock;
    const chips = options.chips ?? [{ name: 'gpiochip0', label: 'simulated-header', lines: PI_HEADER_NAMES }];
    this.chips = chips.map((chip) => ({
      name: chip.name,
      label: chip.label,
      numLines: chip.lines.length,
      lines: chip.lines.map((name, offset) => ({
        offset,
        name,
        consumer: undefined,
        used: false,
        direction: 'input' as const,
        activeLow: false,
      })),
    }));
  }

  async start(): Promise<void> {
    this.started = true;
    this.options.logger.warn({ chips: describeChips(this.chips) }, 'GPIO is simulated: no pin is driven');
  }

  async openOutput(options: OutputLineOptions): Promise<OutputLine> {
    const state = this.claim(options.line, lineLabel(options));
    const line = new SimulatedOutputLine(this, state, lineLabel(options), options.activeLow ?? false);
    state.owner = line;
    state.lastLabel = line.label;
    line.apply(options.initial ?? false, 'open');
    return line;
  }

  async openInput(options: InputLineOptions): Promise<InputLine> {
    const state = this.claim(options.line, lineLabel(options));
    if (!state.driven) state.level = restingLevel(options.bias ?? 'as-is');
    const line = new SimulatedInputLine(this, state, options, this.clock);
    state.owner = line;
    state.lastLabel = line.label;
    this.record(state, line.label, 'input', line.read(), 'open');
    return line;
  }

  async stop(): Promise<void> {
    for (const state of this.states.values()) await state.owner?.close();
  }

  /** List the recorded transitions, oldest first, optionally only those of one line. */
  transitions(ref?: SimulatedLineRef): GpioTransition[] {
    if (ref === undefined) return [...this.log];
    const state = this.find(ref);
    return this.log.filter((transition) => transition.line === state.id);
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Format the transition log as text, one line per transition, with times relative to the first entry. */
  formatLog(transitions: GpioTransition[] = this.log): string {
    const first = transitions[0]?.monotonicNs ?? 0n;
    return transitions
      .map((transition) => {
        const offsetMs = (Number(transition.monotonicNs - first) / 1e6).toFixed(3).padStart(10);
        const value = transition.value ? 'active' : 'inactive';
        return `${transition.wallTime} +${offsetMs} ms  ${transition.label.padEnd(12)} ${transition.line.padEnd(22)} ${transition.direction.padEnd(6)} ${value.padEnd(8)} level=${transition.level} (${transition.cause})`;
      })
      .join('\n');
  }

  /** Logical value an output drives now; false once released. */
  outputValue(ref: SimulatedLineRef): boolean {
    const owner = this.find(ref).owner;
    return owner instanceof SimulatedOutputLine ? owner.value : false;
  }

  /** Drive an opened input to a logical value, as the button or contact wired to it would. */
  setInput(ref: SimulatedLineRef, value: boolean, timestampNs: bigint = this.clock.monotonicNs()): void {
    const state = this.find(ref);
    if (!(state.owner instanceof SimulatedInputLine)) {
      throw gpioError('gpio.simulated_not_input', { line: String(ref) });
    }
    state.owner.edge(value, timestampNs);
  }

  press(ref: SimulatedLineRef): void {
    this.setInput(ref, true);
  }

  release(ref: SimulatedLineRef): void {
    this.setInput(ref, false);
  }

  /**
   * Make an output fail. `set`: its next set() rejects. `lost`: it stops being driven now and emits
   * 'error', as a line does when its helper process dies.
   */
  injectFault(ref: SimulatedLineRef, mode: 'set' | 'lost', detail = 'injected by test'): void {
    const state = this.find(ref);
    if (mode === 'set') {
      this.faults.set(state.id, detail);
      return;
    }
    if (state.owner instanceof SimulatedOutputLine) state.owner.lose(detail);
  }

  /** @internal Consume a pending `set` fault for a line. */
  takeFault(id: string): string | undefined {
    const detail = this.faults.get(id);
    this.faults.delete(id);
    return detail;
  }

  /** @internal Append one transition to the log. */
  record(state: LineState, label: string, direction: 'output' | 'input', value: boolean, cause: GpioTransition['cause']): void {
    this.log.push({
      sequence: this.log.length,
      line: state.id,
      label,
      direction,
      value,
      level: state.level,
      cause,
      monotonicNs: this.clock.monotonicNs(),
      wallTime: new Date(this.clock.wallMs()).toISOString(),
    });
  }

  /** @internal */
  logger(): Logger {
    return this.options.logger;
  }

  private claim(spec: OutputLineOptions['line'], label: string): LineState {
    if (!this.started) throw new FacegateError('gpio.not_started', 'The GPIO backend was used before start().');
    const lookup = findLine(this.chips, spec);
    const line = describeLineSpec(spec);
    if (!lookup.found) {
      if (lookup.reason === 'chip-not-found') {
        throw gpioError('gpio.chip_not_found', { chip: 'chip' in spec ? String(spec.chip) : '', line, chips: describeChips(this.chips) });
      }
      throw gpioError('gpio.line_not_found', { line, chips: describeChips(this.chips) });
    }
    const id = `${lookup.line.chip}:${lookup.line.offset}${lookup.line.name ? ` (${lookup.line.name})` : ''}`;
    const existing = this.states.get(id);
    if (existing?.owner) {
      throw gpioError('gpio.line_busy', { line, consumer: `"facegate ${existing.owner.label}"` });
    }
    const state: LineState = existing ?? { resolved: lookup.line, id, level: 0, driven: false, lastLabel: undefined, owner: undefined };
    this.states.set(id, state);
    this.options.logger.debug({ line: id, label }, 'Simulated GPIO line opened');
    return state;
  }

  private find(ref: SimulatedLineRef): LineState {
    for (const state of this.states.values()) {
      if ((state.owner?.label ?? state.lastLabel) === ref) return state;
    }
    for (const state of this.states.values()) {
      const resolved = state.resolved;
      if (resolved.name === ref || `${resolved.chip}:${resolved.offset}` === ref) return state;
    }
    throw gpioError('gpio.simulated_unknown_line', { line: String(ref) });
  }
}

function restingLevel(bias: Bias): 0 | 1 {
  return bias === 'pull-up' ? 1 : 0;
}

function levelOf(value: boolean, activeLow: boolean): 0 | 1 {
  return value !== activeLow ? 1 : 0;
}

class SimulatedOutputLine extends EventEmitter implements OutputLine {
  readonly id: string;
  private current = false;
  private closed = false;

  constructor(
    private readonly gpio: SimulatedGpio,
    private readonly state: LineState,
    readonly label: string,
    private readonly activeLow: boolean,
  ) {
    super();
    this.id = state.id;
  }

  get value(): boolean {
    return this.current;
  }

  async set(value: boolean): Promise<void> {
    if (this.closed) throw new FacegateError('gpio.line_closed', `GPIO line ${this.id} (${this.label}) is closed.`);
    const fault = this.gpio.takeFault(this.id);
    if (fault !== undefined) throw gpioError('gpio.simulated_fault', { line: this.id, detail: fault });
    if (value !== this.current) this.apply(value, 'set');
  }

  /** @internal */
  apply(value: boolean, cause: 'open' | 'set'): void {
    this.current = value;
    this.state.level = levelOf(value, this.activeLow);
    this.state.driven = true;
    this.gpio.record(this.state, this.label, 'output', value, cause);
  }

  /** @internal Stop driving the line and report it, as a crashed helper process would. */
  lose(detail: string): void {
    this.current = false;
    this.state.level = levelOf(false, this.activeLow);
    this.gpio.record(this.state, this.label, 'output', false, 'release');
    const error = gpioError('gpio.line_lost', { line: this.id, detail });
    this.gpio.logger().error({ err: error, line: this.id }, error.message);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Releasing hands the pin back to its resting state, recorded as inactive.
    this.current = false;
    this.state.level = levelOf(false, this.activeLow);
    this.gpio.record(this.state, this.label, 'output', false, 'release');
    this.state.owner = undefined;
  }
}

class SimulatedInputLine extends EventEmitter implements InputLine {
  readonly id: string;
  readonly label: string;
  private readonly debouncer: Debouncer;
  private readonly activeLow: boolean;
  private closed = false;

  constructor(
    private readonly gpio: SimulatedGpio,
    private readonly state: LineState,
    options: InputLineOptions,
    clock: Clock,
  ) {
    super();
    this.id = state.id;
    this.label = lineLabel(options);
    this.activeLow = options.activeLow ?? false;
    const initial = (state.level === 1) !== this.activeLow;
    this.debouncer = new Debouncer(initial, options.debounceMs ?? 0, clock, (value, timestampNs) => {
      this.gpio.record(this.state, this.label, 'input', value, 'change');
      this.emit('change', value, timestampNs);
    });
  }

  read(): boolean {
    return this.debouncer.value;
  }

  /** @internal A raw edge from the simulated outside world. */
  edge(value: boolean, timestampNs: bigint): void {
    if (this.closed) return;
    const level = levelOf(value, this.activeLow);
    if (level === this.state.level) return;
    this.state.level = level;
    this.state.driven = true;
    this.gpio.record(this.state, this.label, 'input', value, 'edge');
    this.debouncer.push(value, timestampNs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.debouncer.cancel();
    this.state.owner = undefined;
  }
}
