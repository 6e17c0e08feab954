import { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { Debouncer } from './debounce.js';
import {
  buildGetArgs,
  buildMonArgs,
  buildSetArgs,
  classifyToolError,
  describeChips,
  findLine,
  parseGetOutput,
  parseGpiodetect,
  parseGpioinfo,
  parseMonLine,
  parseToolVersion,
  stderrTail,
  withLabels,
  type GpioChipInfo,
  type ResolvedLine,
  type ToolVersion,
} from './libgpiod-tools.js';
import { gpioError } from './messages.js';
import { ToolProcess, ToolStartError, runTool, type ToolExit, type ToolRunResult } from './tool-process.js';
import {
  describeLineSpec,
  lineLabel,
  type GpioBackend,
  type InputLine,
  type InputLineOptions,
  type LineSpec,
  type OutputLine,
  type OutputLineOptions,
} from './types.js';

export interface ChardevGpioOptions {
  logger: Logger;
  clock?: Clock;
  /** Folder of the libgpiod tools; found on PATH when unset. */
  toolDir?: string;
  /** Folder holding the gpiochip device nodes. */
  devDir?: string;
  /** Root of the proc filesystem, read to confirm that a tool has requested its line. */
  procRoot?: string;
  /** Look up line names on this chip only, such as `gpiochip0`; by default every chip is searched. */
  chip?: string;
  /** Consumer label shown by `gpioinfo` (v2 tools only; v1 always shows the tool's name). */
  consumer?: string;
  /** How long a tool may take to request its line. */
  readyTimeoutMs?: number;
  /** Time limit for one-shot tools (`gpioinfo`, `gpioget`). */
  toolTimeoutMs?: number;
  /** First delay before restarting a `gpiomon` that exited; doubles up to 30 s. */
  monitorRestartMs?: number;
}

/** State shared by every line of this backend: tool paths, parsed version and error translation. */
interface ChardevContext {
  logger: Logger;
  clock: Clock;
  version: ToolVersion;
  tool(name: string): string;
  procRoot: string;
  consumer: string;
  readyTimeoutMs: number;
  toolTimeoutMs: number;
  monitorRestartMs: number;
  devDir: string;
}

/**
 * GPIO through the Linux character device, driven by the libgpiod command-line tools as supervised
 * subprocesses, because no Node binding for libgpiod installs on the target. Each output line is held
 * by one `gpioset`; each input line is read once with `gpioget` and then watched by one `gpiomon`.
 */
export class ChardevGpio implements GpioBackend {
  readonly type = 'chardev';
  private context: ChardevContext | undefined;
  private chipList: GpioChipInfo[] = [];
  private readonly lines = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: ChardevGpioOptions) {}

  /** Chips and lines as listed by `gpioinfo` at start, for the hardware self-test. */
  get chips(): readonly GpioChipInfo[] {
    return this.chipList;
  }

  get toolVersion(): ToolVersion | undefined {
    return this.context?.version;
  }

  async start(): Promise<void> {
    const toolDir = this.options.toolDir;
    const tool = (name: string): string => (toolDir === undefined ? name : path.join(toolDir, name));
    const toolTimeoutMs = this.options.toolTimeoutMs ?? 5000;
    const devDir = this.options.devDir ?? '/dev';

    // A board without GPIO chips is the more basic problem, so it is reported before missing tools.
    const devices = await listChipDevices(devDir);
    if (devices.length === 0) throw gpioError('gpio.chip_missing', { devDir });

    const versionRun = await runTool(tool('gpioset'), ['--version'], toolTimeoutMs);
    if (versionRun.spawnError) throw toolMissing('gpioset', versionRun);
    const version = parseToolVersion(versionRun.stdout);
    if (!version) {
      throw gpioError('gpio.tool_failed', {
        tool: 'gpioset',
        line: 'any',
        detail: `unrecognised version output ${JSON.stringify(versionRun.stdout.split('\n')[0] ?? '')}`,
        command: `${tool('gpioset')} --version`,
      });
    }

    const info = await runTool(tool('gpioinfo'), [], toolTimeoutMs);
    if (info.spawnError) throw toolMissing('gpioinfo', info);
    let chips = parseGpioinfo(info.stdout);
    if (info.code !== 0 || chips.length === 0) {
      const detail = stderrTail(info.stderr) || 'no chip listed';
      if (classifyToolError(info.stderr) === 'permission' || chips.length === 0) {
        throw gpioError('gpio.permission_denied', {
          line: 'listing',
          device: devices.map((device) => path.join(devDir, device)).join(', '),
        }, new Error(detail));
      }
      throw gpioError('gpio.tool_failed', { tool: 'gpioinfo', line: 'listing', detail, command: tool('gpioinfo') });
    }
    const detect = await runTool(tool('gpiodetect'), [], toolTimeoutMs);
    if (!detect.spawnError && detect.code === 0) chips = withLabels(chips, parseGpiodetect(detect.stdout));

    this.chipList = chips;
    this.context = {
      logger: this.options.logger,
      clock: this.options.clock ?? systemClock,
      version,
      tool,
      procRoot: this.options.procRoot ?? '/proc',
      consumer: this.options.consumer ?? 'facegate',
      readyTimeoutMs: this.options.readyTimeoutMs ?? 2000,
      toolTimeoutMs,
      monitorRestartMs: this.options.monitorRestartMs ?? 1000,
      devDir,
    };
    this.options.logger.info(
      { libgpiod: `${version.major}.${version.minor}.${version.patch}`, chips: describeChips(chips) },
      'GPIO character device backend started',
    );
  }

  async openOutput(options: OutputLineOptions): Promise<OutputLine> {
    const context = this.requireStarted();
    const resolved = this.resolve(options.line);
    const line = new ChardevOutputLine(context, resolved, lineLabel(options), options.activeLow ?? false);
    await line.set(options.initial ?? false);
    this.track(line);
    return line;
  }

  async openInput(options: InputLineOptions): Promise<InputLine> {
    const context = this.requireStarted();
    const resolved = this.resolve(options.line);
    const line = new ChardevInputLine(context, resolved, options);
    await line.open();
    this.track(line);
    return line;
  }

  async stop(): Promise<void> {
    const lines = [...this.lines];
    this.lines.clear();
    await Promise.all(lines.map((line) => line.close()));
  }

  private track(line: { close(): Promise<void> }): void {
    this.lines.add(line);
  }

  private requireStarted(): ChardevContext {
    if (!this.context) throw new FacegateError('gpio.not_started', 'The GPIO backend was used before start().');
    return this.context;
  }

  private resolve(requested: LineSpec): ResolvedLine {
    const chip = this.options.chip;
    const spec = 'name' in requested && requested.chip === undefined && chip !== undefined ? { ...requested, chip } : requested;
    const lookup = findLine(this.chipList, spec);
    const line = describeLineSpec(spec);
    if (lookup.found) {
      if (lookup.line.consumer !== undefined) {
        throw gpioError('gpio.line_busy', { line, consumer: JSON.stringify(lookup.line.consumer) });
      }
      return lookup.line;
    }
    const chips = describeChips(this.chipList);
    if (lookup.reason === 'chip-not-found') {
      throw gpioError('gpio.chip_not_found', { chip: 'chip' in spec ? String(spec.chip) : '', line, chips });
    }
    if (lookup.reason === 'offset-out-of-range' && lookup.chip && 'offset' in spec) {
      throw gpioError('gpio.offset_out_of_range', {
        line,
        offset: spec.offset,
        chip: lookup.chip.name,
        lines: lookup.chip.numLines,
      });
    }
    throw gpioError('gpio.line_not_found', { line, chips });
  }
}

async function listChipDevices(devDir: string): Promise<string[]> {
  try {
    return (await readdir(devDir)).filter((entry) => /^gpiochip\d+$/.test(entry)).sort();
  } catch {
    return [];
  }
}

function toolMissing(tool: string, run: ToolRunResult): FacegateError {
  return gpioError('gpio.tool_missing', { tool }, run.spawnError);
}

function resolvedId(line: ResolvedLine): string {
  return `${line.chip}:${line.offset}${line.name ? ` (${line.name})` : ''}`;
}

/** Translate a failed tool start into the FacegateError a technician can act on. */
function toolStartFailure(
  context: ChardevContext,
  tool: string,
  args: string[],
  line: ResolvedLine,
  error: unknown,
): FacegateError {
  const id = resolvedId(line);
  const command = [context.tool(tool), ...args].join(' ');
  if (error instanceof FacegateError) return error;
  if (!(error instanceof ToolStartError)) {
    return gpioError('gpio.tool_failed', { tool, line: id, detail: String(error), command }, error);
  }
  if (error.spawnError) return gpioError('gpio.tool_missing', { tool }, error.spawnError);

  const stderr = error.exit?.stderr ?? '';
  const detail = stderrTail(stderr) || error.message;
  switch (classifyToolError(stderr)) {
    case 'permission':
      return gpioError('gpio.permission_denied', { line: id, device: path.join(context.devDir, line.chip) }, error);
    case 'busy':
      return gpioError('gpio.line_busy', { line: id, consumer: 'another process' }, error);
    case 'no-device':
      return gpioError('gpio.chip_not_found', { chip: line.chip, line: id, chips: 'see `gpiodetect`' }, error);
    default:
      return gpioError('gpio.tool_failed', { tool, line: id, detail, command }, error);
  }
}

function supervisedTool(context: ChardevContext, tool: string, args: string[]): ToolProcess {
  return new ToolProcess({
    command: context.tool(tool),
    args,
    logger: context.logger,
    procRoot: context.procRoot,
    readyTimeoutMs: context.readyTimeoutMs,
  });
}

function exitDetail(tool: string, exit: ToolExit): string {
  return `${tool} exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}): ${stderrTail(exit.stderr) || 'no output'}`;
}

/** Emit 'error' only when someone listens; an unheard 'error' would throw from EventEmitter. */
function reportError(emitter: EventEmitter, logger: Logger, error: Error, context: object): void {
  logger.error({ err: error, ...context }, error.message);
  if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
}

class ChardevOutputLine extends EventEmitter implements OutputLine {
  readonly id: string;
  private current = false;
  private holder: ToolProcess | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly context: ChardevContext,
    private readonly line: ResolvedLine,
    readonly label: string,
    private readonly activeLow: boolean,
  ) {
    super();
    this.id = resolvedId(line);
  }

  get value(): boolean {
    return this.current;
  }

  set(value: boolean): Promise<void> {
    const next = this.queue.then(() => this.apply(value));
    // Keep the queue alive after a failure so the next set() still runs.
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.holder?.stop();
    this.holder = undefined;
  }

  private async apply(value: boolean): Promise<void> {
    if (this.closed) throw new FacegateError('gpio.line_closed', `GPIO line ${this.id} (${this.label}) is closed.`);
    if (this.holder && value === this.current) return;

    // NOTE: v1 gpioset cannot change a held value, so each change restarts it, and the line is
    // released for the few milliseconds between the two processes.
    await this.holder?.stop();
    this.holder = undefined;
    this.current = false;

    const args = buildSetArgs(this.context.version, {
      chip: this.line.chip,
      offset: this.line.offset,
      activeLow: this.activeLow,
      consumer: this.context.consumer,
      value,
    });
    const holder = supervisedTool(this.context, 'gpioset', args);
    try {
      await holder.start();
    } catch (error) {
      throw toolStartFailure(this.context, 'gpioset', args, this.line, error);
    }
    holder.on('exit', (exit: ToolExit) => {
      if (this.holder !== holder) return;
      this.holder = undefined;
      this.current = false;
      const detail = exitDetail('gpioset', exit);
      reportError(this, this.context.logger, gpioError('gpio.line_lost', { line: this.id, detail }), {
        line: this.id,
        label: this.label,
      });
    });
    this.holder = holder;
    this.current = value;
  }
}

class ChardevInputLine extends EventEmitter implements InputLine {
  readonly id: string;
  readonly label: string;
  private readonly debouncer: Debouncer;
  private monitor: ToolProcess | undefined;
  private restartTimer: TimerHandle | undefined;
  private restartDelayMs: number;
  private closed = false;
  private readonly kernelDebounce: boolean;

  constructor(
    private readonly context: ChardevContext,
    private readonly line: ResolvedLine,
    private readonly options: InputLineOptions,
  ) {
    super();
    this.id = resolvedId(line);
    this.label = lineLabel(options);
    this.restartDelayMs = context.monitorRestartMs;
    // libgpiod v2 passes the debounce period to the kernel (uAPI v2). With v1 the debouncer below does it.
    this.kernelDebounce = context.version.major >= 2;
    const softwareDebounceMs = this.kernelDebounce ? 0 : (options.debounceMs ?? 0);
    this.debouncer = new Debouncer(false, softwareDebounceMs, context.clock, (value, timestampNs) =>
      this.emit('change', value, timestampNs),
    );
  }

  read(): boolean {
    return this.debouncer.value;
  }

  async open(): Promise<void> {
    // NOTE: an edge between gpioget exiting and gpiomon requesting the line is missed, because the tools
    // cannot read and watch in one request. gpiomon --initial-state would, but it needs libgpiod 2.2 or later.
    this.debouncer.reset(await this.readOnce());
    await this.startMonitor();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.context.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.debouncer.cancel();
    await this.monitor?.stop();
    this.monitor = undefined;
  }

  private request() {
    return {
      chip: this.line.chip,
      offset: this.line.offset,
      activeLow: this.options.activeLow ?? false,
      consumer: this.context.consumer,
      bias: this.options.bias ?? 'as-is',
    };
  }

  private async readOnce(): Promise<boolean> {
    const command = this.context.tool('gpioget');
    const args = buildGetArgs(this.context.version, this.request());
    const run = await runTool(command, args, this.context.toolTimeoutMs);
    if (run.spawnError) throw gpioError('gpio.tool_missing', { tool: 'gpioget' }, run.spawnError);
    const value = run.code === 0 ? parseGetOutput(run.stdout) : undefined;
    if (value === undefined) {
      const exit = { code: run.code, signal: null, stderr: run.stderr };
      const failure = new ToolStartError(`gpioget failed: ${stderrTail(run.stderr) || run.stdout.trim()}`, exit, undefined);
      throw toolStartFailure(this.context, 'gpioget', args, this.line, failure);
    }
    return value;
  }

  private async startMonitor(): Promise<void> {
    const args = buildMonArgs(this.context.version, { ...this.request(), debounceMs: this.options.debounceMs ?? 0 });
    const monitor = supervisedTool(this.context, 'gpiomon', args);
    monitor.on('line', (text: string) => {
      const event = parseMonLine(this.context.version, text);
      if (event) this.debouncer.push(event.value, event.timestampNs);
      else this.context.logger.warn({ line: this.id, output: text }, 'Unrecognised gpiomon output line');
    });
    try {
      await monitor.start();
    } catch (error) {
      throw toolStartFailure(this.context, 'gpiomon', args, this.line, error);
    }
    monitor.on('exit', (exit: ToolExit) => {
      if (this.monitor !== monitor) return;
      this.monitor = undefined;
      const detail = exitDetail('gpiomon', exit);
      reportError(this, this.context.logger, gpioError('gpio.line_lost', { line: this.id, detail }), {
        line: this.id,
        label: this.label,
        restartInMs: this.restartDelayMs,
      });
      this.scheduleRestart();
    });
    this.monitor = monitor;
    this.restartDelayMs = this.context.monitorRestartMs;
  }

  private scheduleRestart(): void {
    if (this.closed) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, 30_000);
    this.restartTimer = this.context.clock.setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.closed) return;
    try {
      const value = await this.readOnce();
      if (this.closed) return;
      // Edges while gpiomon was down are lost; report the difference as one change.
      if (value !== this.debouncer.value) {
        this.debouncer.reset(value);
        this.emit('change', value, this.context.clock.monotonicNs());
      }
      await this.startMonitor();
      if (this.closed) await this.monitor?.stop();
      this.context.logger.info({ line: this.id, label: this.label }, 'gpiomon restarted');
    } catch (error) {
      reportError(this, this.context.logger, error as Error, { line: this.id, label: this.label });
      this.scheduleRestart();
    }
  }
}
