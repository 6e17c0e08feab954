import type { Logger } from '../common/logger.js';
import type { RecordRequest } from '../daemon/event-recorder.js';
import type { DoorController } from '../door/door-controller.js';
import type { GpioBackend, InputLine, LineSpec } from '../gpio/types.js';
import { fallbackRecordRequest, type FallbackAuthenticator, type FallbackResult } from './authenticator.js';
import { HidLineReader } from './hid.js';
import { WiegandDecoder } from './wiegand.js';

/** How often the Wiegand decoder is asked whether the lines went idle, ending a frame. */
const WIEGAND_IDLE_CHECK_MS = 10;

export interface FallbackGateOptions {
  authenticator: FallbackAuthenticator;
  door: DoorController;
  gpio: GpioBackend;
  /** Commit the attendance event through the outbox; the daemon passes `recordEvent`. */
  record: (request: RecordRequest) => Promise<void>;
  pseudonymFor: (subjectId: string) => string;
  logger: Logger;
  /** Keyboard-like PIN keypad, e.g. `/dev/input/by-id/usb-…-event-kbd`. */
  keypadDevice?: string;
  /** Keyboard-like USB badge reader. */
  badgeDevice?: string;
  /** Wiegand badge reader on two GPIO inputs, idle high and pulsed low. */
  wiegand?: { d0: LineSpec; d1: LineSpec };
}

/**
 * The non-biometric way through the gate: PIN on a keypad, badge on a USB or Wiegand reader. A
 * granted entry opens the door. Every entry, granted or not, becomes an attendance event with
 * method `pin` or `badge` through the same outbox as face decisions.
 */
export class FallbackGate {
  private readonly readers: HidLineReader[] = [];
  private readonly lines: InputLine[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly options: FallbackGateOptions) {
    this.log = options.logger.child({ module: 'fallback' });
  }

  async start(): Promise<void> {
    const { keypadDevice, badgeDevice, wiegand } = this.options;
    if (keypadDevice !== undefined) {
      this.readers.push(new HidLineReader({ device: keypadDevice, logger: this.log, onLine: (line) => this.settle(this.options.authenticator.keypadLine(line)) }));
    }
    if (badgeDevice !== undefined) {
      this.readers.push(new HidLineReader({ device: badgeDevice, logger: this.log, onLine: (line) => this.settle(this.options.authenticator.badge(line)) }));
    }
    for (const reader of this.readers) reader.start();
    if (wiegand !== undefined) await this.startWiegand(wiegand);
  }

  /** Wait until every entry so far has committed its event. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    for (const reader of this.readers) reader.stop();
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    for (const line of this.lines) await line.close();
    await this.settled();
  }

  private async startWiegand(pins: { d0: LineSpec; d1: LineSpec }): Promise<void> {
    const decoder = new WiegandDecoder();
    const onFrame = (frame: ReturnType<WiegandDecoder['idle']>): void => {
      if (frame === undefined) return;
      if (!frame.ok) {
        this.log.warn({ bits: frame.bits, reason: frame.reason }, 'Wiegand frame rejected');
        return;
      }
      this.settle(this.options.authenticator.badge(frame.badgeId));
    };
    for (const [bit, line] of [[0, pins.d0], [1, pins.d1]] as const) {
      // Readers hold both lines high and pull one low for about 50 µs per bit, so no debounce.
      const input = await this.options.gpio.openInput({ line, activeLow: true, debounceMs: 0, label: `wiegand-d${bit}` });
      input.on('change', (active, timestampNs) => {
        if (active) onFrame(decoder.pulse(bit, timestampNs));
      });
      this.lines.push(input);
    }
    this.idleTimer = setInterval(() => onFrame(decoder.idle(process.hrtime.bigint())), WIEGAND_IDLE_CHECK_MS);
    this.idleTimer.unref();
  }

  private settle(result: FallbackResult | undefined): void {
    if (result === undefined) return;
    const task = (async () => {
      let actuated = false;
      if (result.decision === 'granted') {
        actuated = (await this.options.door.grant({ reason: result.method })).actuated;
      } else {
        this.options.door.deny();
      }
      await this.options.record(fallbackRecordRequest(result, this.options.pseudonymFor, actuated));
      this.log.info({ method: result.method, decision: result.decision, reason: result.reason, doorActuated: actuated }, 'fallback entry recorded');
    })().catch((error: unknown) => this.log.error({ err: error, method: result.method }, 'recording a fallback entry failed'));
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }
}
