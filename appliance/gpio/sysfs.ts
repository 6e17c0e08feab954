import { EventEmitter } from 'node:events';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { systemClock, type Clock } from './clock.js';
import { Debouncer } from './debounce.js';
import { gpioError } from './messages.js';
import { describeSysfsChips, initialDirection, readSysfsChips, sysfsNumber, type SysfsChip } from './sysfs-chips.js';
import {
  describeLineSpec,
  lineLabel,
  type GpioBackend,
  type InputLine,
  type InputLineOptions,
  type OutputLine,
  type OutputLineOptions,
} from './types.js';

type OnoffModule = typeof import('onoff');
type OnoffGpio = InstanceType<OnoffModule['Gpio']>;

export interface SysfsGpioOptions {
  logger: Logger;
  clock?: Clock;
  /**
   * The sysfs GPIO folder, /sys/class/gpio by default, read for the chip bases. onoff itself always
   * uses /sys/class/gpio, so another folder only serves the base lookup (tests use a temporary tree).
   */
  sysfsRoot?: string;
}

/**
 * GPIO through the legacy sysfs interface and onoff, for kernels that still build CONFIG_GPIO_SYSFS
 * but where the libgpiod tools are unavailable. Lines are numbered from the chip's base read from sysfs.
 */
export class SysfsGpio implements GpioBackend {
  readonly type = 'sysfs';
  private chipList: SysfsChip[] = [];
  private onoff: OnoffModule | undefined;
  private readonly clock: Clock;
  private readonly lines = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: SysfsGpioOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get chips(): readonly SysfsChip[] {
    return this.chipList;
  }

  async start(): Promise<void> {
    const classDir = this.options.sysfsRoot ?? '/sys/class/gpio';
    try {
      await access(path.join(classDir, 'export'));
      this.chipList = await readSysfsChips(classDir);
    } catch (error) {
      throw gpioError('gpio.sysfs_unavailable', { path: classDir }, error);
    }
    if (this.chipList.length === 0) throw gpioError('gpio.chip_missing', { devDir: classDir });
    this.onoff = (await import('onoff')).default as unknown as OnoffModule;
    this.options.logger.info({ chips: describeSysfsChips(this.chipList) }, 'GPIO sysfs backend started');
  }

  /** Compute the global sysfs number of a line spec from the chip bases read at start. */
  numberOf(spec: OutputLineOptions['line']): number {
    return sysfsNumber(this.chipList, spec);
  }

  async openOutput(options: OutputLineOptions): Promise<OutputLine> {
    const number = this.numberOf(options.line);
    const activeLow = options.activeLow ?? false;
    const gpio = this.construct(number, options.line, () =>
      new (this.requireOnoff().Gpio)(number, initialDirection(activeLow, options.initial ?? false), 'none', { activeLow }),
    );
    const line = new SysfsOutputLine(gpio, number, lineLabel(options), options.initial ?? false);
    this.lines.add(line);
    return line;
  }

  async openInput(options: InputLineOptions): Promise<InputLine> {
    const number = this.numberOf(options.line);
    if ((options.bias ?? 'as-is') !== 'as-is') {
      this.options.logger.warn(
        { line: describeLineSpec(options.line), bias: options.bias },
        'sysfs GPIO cannot set a bias; set the pull in config.txt or the device tree',
      );
    }
    const gpio = this.construct(number, options.line, () =>
      new (this.requireOnoff().Gpio)(number, 'in', 'both', { activeLow: options.activeLow ?? false }),
    );
    const line = new SysfsInputLine(gpio, number, lineLabel(options), options.debounceMs ?? 0, this.clock, this.options.logger);
    this.lines.add(line);
    return line;
  }

  async stop(): Promise<void> {
    const lines = [...this.lines];
    this.lines.clear();
    await Promise.all(lines.map((line) => line.close()));
  }

  private requireOnoff(): OnoffModule {
    if (!this.onoff) throw new FacegateError('gpio.not_started', 'The GPIO backend was used before start().');
    return this.onoff;
  }

  private construct(number: number, spec: OutputLineOptions['line'], create: () => OnoffGpio): OnoffGpio {
    const line = `${describeLineSpec(spec)} (sysfs ${number})`;
    try {
      return create();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        throw gpioError('gpio.permission_denied', { line, device: `/sys/class/gpio/gpio${number}` }, error);
      }
      if (code === 'EBUSY') throw gpioError('gpio.line_busy', { line, consumer: 'the kernel or a chardev user' }, error);
      if (error instanceof FacegateError) throw error;
      throw gpioError('gpio.tool_failed', { tool: 'onoff', line, detail: String(error), command: `echo ${number} > /sys/class/gpio/export` }, error);
    }
  }
}

class SysfsOutputLine extends EventEmitter implements OutputLine {
  readonly id: string;
  private current: boolean;
  private closed = false;

  constructor(
    private readonly gpio: OnoffGpio,
    number: number,
    readonly label: string,
    initial: boolean,
  ) {
    super();
    this.id = `sysfs ${number}`;
    this.current = initial;
  }

  get value(): boolean {
    return this.current;
  }

  async set(value: boolean): Promise<void> {
    if (this.closed) throw new FacegateError('gpio.line_closed', `GPIO line ${this.id} (${this.label}) is closed.`);
    await this.gpio.write(value ? 1 : 0);
    this.current = value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Drive inactive before unexporting: sysfs keeps the last level after release on some drivers.
    this.gpio.writeSync(0);
    this.current = false;
    this.gpio.unexport();
  }
}

class SysfsInputLine extends EventEmitter implements InputLine {
  readonly id: string;
  private readonly debouncer: Debouncer;
  private closed = false;

  constructor(
    private readonly gpio: OnoffGpio,
    number: number,
    readonly label: string,
    debounceMs: number,
    clock: Clock,
    logger: Logger,
  ) {
    super();
    this.id = `sysfs ${number}`;
    this.debouncer = new Debouncer(gpio.readSync() === 1, debounceMs, clock, (value, timestampNs) =>
      this.emit('change', value, timestampNs),
    );
    // onoff reports no kernel timestamp, so the edge is stamped when its callback runs.
    gpio.watch((error, value) => {
      if (error) {
        logger.error({ err: error, line: this.id }, 'sysfs GPIO watch failed');
        if (this.listenerCount('error') > 0) this.emit('error', error);
        return;
      }
      this.debouncer.push(value === 1, clock.monotonicNs());
    });
  }

  read(): boolean {
    return this.debouncer.value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.debouncer.cancel();
    this.gpio.unwatchAll();
    this.gpio.unexport();
  }
}
