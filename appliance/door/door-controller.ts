import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { systemClock, type Clock, type TimerHandle } from '../gpio/clock.js';
import type { Bias, ChangeListener, ErrorListener, GpioBackend, InputLine, LineSpec, OutputLine } from '../gpio/types.js';
import type { PatternName, SignalChannel, SignalPattern } from './patterns.js';
import { SignalPlayer } from './signal-player.js';

export interface RelayOptions {
  line: LineSpec;
  /** Relay boards that energise on a low input (most optocoupler modules) need true. */
  activeLow?: boolean;
  /** How long one grant keeps the relay energised. */
  pulseMs?: number;
  /** Maximum time that repeated grants can keep the relay energised in one pulse; default 10 s or 2 × pulseMs. */
  maxPulseMs?: number;
  /** After a pulse was cut at maxPulseMs, grants are rejected for this long, so the door really locks. */
  cooldownMs?: number;
}

/** Defaults fit a button between the pin and ground: pull-up on, pressed reads low. */
export interface ExitButtonOptions {
  line: LineSpec;
  /** Default true. */
  activeLow?: boolean;
  /** Default pull-up. */
  bias?: Bias;
  debounceMs?: number;
}

/** Defaults fit a reed switch between the pin and ground that is closed while the door is closed. */
export interface DoorContactOptions {
  line: LineSpec;
  /** Set so that the line reads active while the door is open; default false (open reads high). */
  activeLow?: boolean;
  /** Default pull-up, so a cut cable reads as an open door. */
  bias?: Bias;
  debounceMs?: number;
  /** Open longer than this raises `heldOpen`. */
  heldOpenMs?: number;
  /** An opening this long after the relay locked again still counts as authorised. */
  openGraceMs?: number;
}

export interface SignalOutputOptions {
  line: LineSpec;
  activeLow?: boolean;
}

export interface DoorControllerOptions {
  gpio: GpioBackend;
  logger: Logger;
  clock?: Clock;
  relay: RelayOptions;
  exitButton?: ExitButtonOptions;
  doorContact?: DoorContactOptions;
  signals?: Partial<Record<SignalChannel, SignalOutputOptions>>;
  patterns?: Partial<Record<PatternName, SignalPattern>>;
}

export type UnlockReason = 'face' | 'pin' | 'badge' | 'remote' | 'exit';
export type GrantRejection = 'stopped' | 'cooldown' | 'max-pulse' | 'fault';

export interface GrantResult {
  actuated: boolean;
  rejection?: GrantRejection;
  /** Monotonic ms at which the relay will lock again, when actuated. */
  lockAtMs?: number;
}

export interface DoorEvents {
  unlocked: { reason: UnlockReason; extended: boolean; lockAtMs: number; timestampNs: bigint };
  locked: { cause: 'pulse-end' | 'max-pulse' | 'stop' | 'fault'; energisedMs: number; timestampNs: bigint };
  exit: { timestampNs: bigint; wallTime: string; actuated: boolean; rejection?: GrantRejection };
  opened: { authorised: boolean; timestampNs: bigint; wallTime: string };
  forced: { timestampNs: bigint; wallTime: string };
  heldOpen: { openForMs: number; timestampNs: bigint; wallTime: string };
  closed: { openForMs: number; alarm: 'forced' | 'heldOpen' | undefined; timestampNs: bigint; wallTime: string };
  fault: { component: 'relay' | 'exitButton' | 'doorContact' | 'signals'; error: Error };
}

export type DoorEventName = keyof DoorEvents;
type Listener<K extends DoorEventName> = (payload: DoorEvents[K]) => void;

export interface DoorState {
  relayEnergised: boolean;
  /** Undefined without a door contact. */
  doorOpen: boolean | undefined;
  alarm: 'forced' | 'heldOpen' | undefined;
  background: PatternName | undefined;
}

const DEFAULTS = {
  pulseMs: 3000,
  maxPulseMs: 10_000,
  cooldownMs: 2000,
  exitDebounceMs: 50,
  contactDebounceMs: 100,
  heldOpenMs: 30_000,
  openGraceMs: 2000,
};

/**
 * The door: a fail-secure relay pulse, an exit button, a door contact with forced and held-open alarms,
 * and LED and buzzer signals. The relay is de-energised at start, at stop and on any relay error.
 * Unlike other modules it does not keep running with a failed part: start() fails if a line cannot open.
 */
export class DoorController {
  private readonly clock: Clock;
  private readonly listeners = new Map<DoorEventName, Set<Listener<DoorEventName>>>();
  private readonly settings: typeof DEFAULTS;
  private relay: OutputLine | undefined;
  private exitButton: InputLine | undefined;
  private contact: InputLine | undefined;
  private signalOutputs: OutputLine[] = [];
  private player: SignalPlayer | undefined;
  private running = false;

  // Relay pulse state, in monotonic ms.
  private pulseStartMs: number | undefined;
  private pulseTimer: TimerHandle | undefined;
  private pulseCapped = false;
  private cooldownUntilMs = 0;
  /** Span in which a door opening is authorised: from a pulse start until its lock plus the grace time. */
  private windowStartMs: number | undefined;
  private windowEndMs: number | undefined;

  // Door contact state.
  private openedAtMs: number | undefined;
  private heldOpenTimer: TimerHandle | undefined;
  private alarm: 'forced' | 'heldOpen' | undefined;

  private readonly detachers: Array<() => void> = [];

  constructor(private readonly options: DoorControllerOptions) {
    this.clock = options.clock ?? systemClock;
    const pulseMs = options.relay.pulseMs ?? DEFAULTS.pulseMs;
    const maxPulseMs = options.relay.maxPulseMs ?? Math.max(DEFAULTS.maxPulseMs, 2 * pulseMs);
    if (!(pulseMs > 0) || !(maxPulseMs >= pulseMs)) {
      throw new FacegateError(
        'door.invalid_timing',
        `Relay timing is invalid: pulseMs ${pulseMs}, maxPulseMs ${maxPulseMs}.`,
        {
          hint: 'Set door.relay.pulseMs above 0 and maxPulseMs to at least pulseMs.',
          params: { pulseMs, maxPulseMs },
        },
      );
    }
    this.settings = {
      pulseMs,
      maxPulseMs,
      cooldownMs: options.relay.cooldownMs ?? DEFAULTS.cooldownMs,
      exitDebounceMs: options.exitButton?.debounceMs ?? DEFAULTS.exitDebounceMs,
      contactDebounceMs: options.doorContact?.debounceMs ?? DEFAULTS.contactDebounceMs,
      heldOpenMs: options.doorContact?.heldOpenMs ?? DEFAULTS.heldOpenMs,
      openGraceMs: options.doorContact?.openGraceMs ?? DEFAULTS.openGraceMs,
    };
  }

  on<K extends DoorEventName>(event: K, listener: Listener<K>): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<DoorEventName>);
    return this;
  }

  off<K extends DoorEventName>(event: K, listener: Listener<K>): this {
    this.listeners.get(event)?.delete(listener as Listener<DoorEventName>);
    return this;
  }

  get state(): DoorState {
    return {
      relayEnergised: this.pulseStartMs !== undefined,
      doorOpen: this.contact ? this.openedAtMs !== undefined : undefined,
      alarm: this.alarm,
      background: this.player?.background,
    };
  }

  /** Open every line, relay first and de-energised. On any failure everything opened so far is closed again. */
  async start(): Promise<void> {
    const { gpio, logger } = this.options;
    try {
      this.relay = await gpio.openOutput({
        line: this.options.relay.line,
        activeLow: this.options.relay.activeLow,
        initial: false,
        label: 'relay',
      });
      this.watchOutput(this.relay, (error) => void this.failSecure('relay', error));

      const outputs: Partial<Record<SignalChannel, OutputLine>> = {};
      for (const [channel, spec] of Object.entries(this.options.signals ?? {}) as Array<[SignalChannel, SignalOutputOptions]>) {
        const output = await gpio.openOutput({ line: spec.line, activeLow: spec.activeLow, initial: false, label: `signal.${channel}` });
        this.signalOutputs.push(output);
        outputs[channel] = output;
        this.watchOutput(output, (error) => this.emit('fault', { component: 'signals', error }));
      }
      this.player = new SignalPlayer({
        outputs,
        logger,
        clock: this.clock,
        patterns: this.options.patterns,
        onError: (error) => this.emit('fault', { component: 'signals', error }),
      });

      if (this.options.exitButton) {
        const spec = this.options.exitButton;
        this.exitButton = await gpio.openInput({
          line: spec.line,
          activeLow: spec.activeLow ?? true,
          bias: spec.bias ?? 'pull-up',
          debounceMs: this.settings.exitDebounceMs,
          label: 'exitButton',
        });
        this.watchInput(
          this.exitButton,
          (pressed, timestampNs) => {
            if (pressed) void this.onExitPressed(timestampNs);
          },
          (error) => this.emit('fault', { component: 'exitButton', error }),
        );
      }

      if (this.options.doorContact) {
        const spec = this.options.doorContact;
        this.contact = await gpio.openInput({
          line: spec.line,
          activeLow: spec.activeLow ?? false,
          bias: spec.bias ?? 'pull-up',
          debounceMs: this.settings.contactDebounceMs,
          label: 'doorContact',
        });
        this.watchInput(
          this.contact,
          (open, timestampNs) => (open ? this.onDoorOpened(timestampNs, true) : this.onDoorClosed(timestampNs)),
          (error) => this.emit('fault', { component: 'doorContact', error }),
        );
        if (this.contact.read()) {
          logger.warn('Door contact reads open at start; watching for held-open');
          this.onDoorOpened(this.clock.monotonicNs(), false);
        }
      }
    } catch (error) {
      logger.error({ err: error }, 'Door controller failed to start; releasing its lines');
      await this.stop();
      throw error;
    }
    this.running = true;
    logger.info(
      {
        relay: this.relay.id,
        exitButton: this.exitButton?.id,
        doorContact: this.contact?.id,
        pulseMs: this.settings.pulseMs,
        maxPulseMs: this.settings.maxPulseMs,
      },
      'Door controller started, relay de-energised',
    );
  }

  /**
   * Energise the relay for one pulse and, unless `signal` is false, play `granted`. A grant while the
   * relay is energised restarts the pulse timer, but never past maxPulseMs from the pulse start.
   */
  async grant(request: { reason: UnlockReason; signal?: boolean }): Promise<GrantResult> {
    const relay = this.relay;
    if (!this.running || !relay) return { actuated: false, rejection: 'stopped' };
    const now = this.clock.monotonicMs();
    if (now < this.cooldownUntilMs) {
      this.options.logger.info({ reason: request.reason, cooldownLeftMs: this.cooldownUntilMs - now }, 'Grant rejected during the relay cool-down');
      return { actuated: false, rejection: 'cooldown' };
    }

    const extending = this.pulseStartMs !== undefined;
    const start = this.pulseStartMs ?? now;
    const remaining = Math.min(this.settings.pulseMs, this.settings.maxPulseMs - (now - start));
    if (remaining <= 0) return { actuated: false, rejection: 'max-pulse' };

    // Claim the pulse before the await, so a grant arriving meanwhile extends it instead of starting another.
    this.pulseStartMs = start;
    this.windowStartMs = extending ? this.windowStartMs : start;
    this.windowEndMs = undefined;
    this.pulseCapped = remaining < this.settings.pulseMs;
    this.clock.clearTimeout(this.pulseTimer);
    this.pulseTimer = this.clock.setTimeout(() => void this.lock(this.pulseCapped ? 'max-pulse' : 'pulse-end'), remaining);

    if (!extending) {
      try {
        await relay.set(true);
      } catch (error) {
        await this.failSecure('relay', error as Error);
        return { actuated: false, rejection: 'fault' };
      }
      // stop() or a fault may have ended the pulse while the relay was switching.
      if (this.pulseStartMs !== start) {
        await this.deenergise();
        return { actuated: false, rejection: this.running ? 'fault' : 'stopped' };
      }
    }

    const lockAtMs = now + remaining;
    this.options.logger.info({ reason: request.reason, extended: extending, lockAtMs }, 'Door unlocked');
    this.emit('unlocked', { reason: request.reason, extended: extending, lockAtMs, timestampNs: this.clock.monotonicNs() });
    if (request.signal !== false) this.player?.play('granted');
    return { actuated: true, lockAtMs };
  }

  /** Play the `denied` pattern; the relay stays locked. */
  deny(): void {
    if (this.running) this.player?.play('denied');
  }

  /** Play a named pattern; `busy` and `offline` stay as background until clearBackground(). */
  signal(name: PatternName): void {
    if (this.running) this.player?.play(name);
  }

  clearBackground(): void {
    this.player?.clearBackground();
  }

  /** Lock the door, cancel every timer, switch signals off and release every line. Safe to call twice. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.clock.clearTimeout(this.heldOpenTimer);
    this.heldOpenTimer = undefined;
    if (this.pulseStartMs !== undefined) await this.lock('stop');
    else await this.deenergise();
    await this.player?.stop();
    for (const detach of this.detachers.splice(0)) detach();

    const lines = [this.exitButton, this.contact, ...this.signalOutputs, this.relay];
    this.exitButton = undefined;
    this.contact = undefined;
    this.signalOutputs = [];
    this.relay = undefined;
    for (const line of lines) {
      try {
        await line?.close();
      } catch (error) {
        this.options.logger.error({ err: error, line: line?.id }, 'Closing a door line failed');
      }
    }
    if (wasRunning) this.options.logger.info('Door controller stopped, relay de-energised');
  }

  private async onExitPressed(timestampNs: bigint): Promise<void> {
    const result = await this.grant({ reason: 'exit', signal: false });
    this.emit('exit', {
      timestampNs,
      wallTime: this.wallTime(),
      actuated: result.actuated,
      ...(result.rejection ? { rejection: result.rejection } : {}),
    });
  }

  private onDoorOpened(timestampNs: bigint, judge: boolean): void {
    const edgeMs = Number(timestampNs / 1000n) / 1000;
    this.openedAtMs = edgeMs;
    const authorised = !judge || this.isAuthorisedOpening(edgeMs);
    this.emit('opened', { authorised, timestampNs, wallTime: this.wallTime() });
    if (!authorised) {
      this.alarm = 'forced';
      this.options.logger.warn({ timestampNs: String(timestampNs) }, 'Door forced open');
      this.emit('forced', { timestampNs, wallTime: this.wallTime() });
    }
    this.clock.clearTimeout(this.heldOpenTimer);
    // Count from the edge, not from the debounced event that arrives later.
    const delayMs = Math.max(0, this.settings.heldOpenMs - (this.clock.monotonicMs() - edgeMs));
    this.heldOpenTimer = this.clock.setTimeout(() => {
      this.heldOpenTimer = undefined;
      if (this.openedAtMs === undefined) return;
      this.alarm ??= 'heldOpen';
      const openForMs = this.clock.monotonicMs() - this.openedAtMs;
      this.options.logger.warn({ openForMs }, 'Door held open');
      this.emit('heldOpen', { openForMs, timestampNs: this.clock.monotonicNs(), wallTime: this.wallTime() });
    }, delayMs);
  }

  private onDoorClosed(timestampNs: bigint): void {
    if (this.openedAtMs === undefined) return;
    const openForMs = Number(timestampNs / 1000n) / 1000 - this.openedAtMs;
    const alarm = this.alarm;
    this.openedAtMs = undefined;
    this.alarm = undefined;
    this.clock.clearTimeout(this.heldOpenTimer);
    this.heldOpenTimer = undefined;
    this.emit('closed', { openForMs, alarm, timestampNs, wallTime: this.wallTime() });
  }

  private isAuthorisedOpening(edgeMs: number): boolean {
    if (this.windowStartMs === undefined || edgeMs < this.windowStartMs) return false;
    if (this.windowEndMs === undefined) return true;
    return edgeMs <= this.windowEndMs + this.settings.openGraceMs;
  }

  private async lock(cause: DoorEvents['locked']['cause']): Promise<void> {
    const start = this.pulseStartMs;
    this.clock.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
    this.pulseStartMs = undefined;
    if (start === undefined) return;
    const now = this.clock.monotonicMs();
    this.windowEndMs = now;
    if (cause === 'max-pulse') this.cooldownUntilMs = now + this.settings.cooldownMs;
    await this.deenergise();
    this.options.logger.info({ cause, energisedMs: now - start }, 'Door locked');
    this.emit('locked', { cause, energisedMs: now - start, timestampNs: this.clock.monotonicNs() });
  }

  private async deenergise(): Promise<void> {
    if (!this.relay) return;
    try {
      await this.relay.set(false);
    } catch (error) {
      // Nothing more can be done from here: the line reverts to its released state when the daemon exits.
      this.options.logger.error({ err: error, line: this.relay.id }, 'De-energising the relay failed');
    }
  }

  /** End any pulse, de-energise the relay and report the fault. */
  private async failSecure(component: DoorEvents['fault']['component'], error: Error): Promise<void> {
    this.options.logger.error({ err: error, component }, 'Door fault; relay de-energised');
    if (this.pulseStartMs !== undefined) await this.lock('fault');
    else await this.deenergise();
    this.emit('fault', { component, error });
  }

  private watchOutput(line: OutputLine, listener: ErrorListener): void {
    line.on('error', listener);
    this.detachers.push(() => line.off('error', listener));
  }

  private watchInput(line: InputLine, onChange: ChangeListener, onError: ErrorListener): void {
    line.on('change', onChange);
    line.on('error', onError);
    this.detachers.push(() => {
      line.off('change', onChange);
      line.off('error', onError);
    });
  }

  private emit<K extends DoorEventName>(event: K, payload: DoorEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        this.options.logger.error({ err: error, event }, 'A door event listener threw');
      }
    }
  }

  private wallTime(): string {
    return new Date(this.clock.wallMs()).toISOString();
  }
}
