/**
 * The narrow GPIO interface the door controller and the hardware self-test use.
 * Values are logical: `true` means active, and `activeLow` decides whether active is a low or a high level on the pin.
 */

/** A line by its name (`GPIO17`, optionally narrowed to one chip) or by chip and offset. */
export type LineSpec = { name: string; chip?: string } | { chip: string; offset: number };

/** Internal pull resistor setting. `as-is` leaves the firmware or device-tree setting alone. */
export type Bias = 'as-is' | 'disable' | 'pull-up' | 'pull-down';

export const BIASES: readonly Bias[] = ['as-is', 'disable', 'pull-up', 'pull-down'];

export interface OutputLineOptions {
  line: LineSpec;
  /** Active level is low (relay boards driven through an inverting transistor or optocoupler). */
  activeLow?: boolean;
  /** Logical value driven as soon as the line is requested; false (inactive) by default. */
  initial?: boolean;
  /** Role shown in logs, errors and the simulated transition log, such as `relay` or `led.green`. */
  label?: string;
}

export interface InputLineOptions {
  line: LineSpec;
  activeLow?: boolean;
  bias?: Bias;
  /** A new value is reported only after it stayed stable this long; 0 reports every edge. */
  debounceMs?: number;
  label?: string;
}

/** Listener for debounced value changes; `timestampNs` is CLOCK_MONOTONIC, the clock of `process.hrtime.bigint()`. */
export type ChangeListener = (value: boolean, timestampNs: bigint) => void;
export type ErrorListener = (error: Error) => void;

export interface OutputLine {
  /** Resolved identity, such as `gpiochip0:17 (GPIO17)`. */
  readonly id: string;
  readonly label: string;
  /** Last logical value that the backend confirmed. */
  readonly value: boolean;
  /** Drive the line; resolves once the backend has applied the value, rejects with a FacegateError otherwise. */
  set(value: boolean): Promise<void>;
  /** Emitted when the line stops being driven without a call to close(), such as a crashed helper process. */
  on(event: 'error', listener: ErrorListener): this;
  off(event: 'error', listener: ErrorListener): this;
  /** Release the line. Releasing hands the pin back to its default state, which for a relay must be de-energised. */
  close(): Promise<void>;
}

export interface InputLine {
  readonly id: string;
  readonly label: string;
  /** Last debounced logical value. */
  read(): boolean;
  on(event: 'change', listener: ChangeListener): this;
  on(event: 'error', listener: ErrorListener): this;
  off(event: 'change', listener: ChangeListener): this;
  off(event: 'error', listener: ErrorListener): this;
  close(): Promise<void>;
}

export type GpioBackendType = 'chardev' | 'sysfs' | 'simulated';

export interface GpioBackend {
  readonly type: GpioBackendType;
  /** Check that the backend can reach its hardware; throws a FacegateError naming the missing part and the fix. */
  start(): Promise<void>;
  openOutput(options: OutputLineOptions): Promise<OutputLine>;
  openInput(options: InputLineOptions): Promise<InputLine>;
  /** Close every line this backend opened. */
  stop(): Promise<void>;
}

/** Human-readable form of a line spec for logs and error messages. */
export function describeLineSpec(spec: LineSpec): string {
  if ('name' in spec) return spec.chip === undefined ? `"${spec.name}"` : `"${spec.name}" on ${spec.chip}`;
  return `${spec.chip}:${spec.offset}`;
}

export function lineLabel(options: { label?: string; line: LineSpec }): string {
  return options.label ?? describeLineSpec(options.line);
}
