import type { Logger } from '../common/logger.js';
import type { GateDecision } from '../decision/types.js';

/** After the last hold ends, face decisions stay withheld this long, so the worker can step away. */
export const DEFAULT_HOLD_GRACE_MS = 3_000;

/**
 * Pauses the gate's face decisions while a kiosk enrolment uses the camera. The person being
 * enrolled is in front of the gate camera. Without the pause the gate would open the door for them
 * if they look like an enrolled worker, or as soon as the matcher reloads with their new template. Withheld decisions neither open the door nor become attendance events. PIN and badge
 * entries do not pass through here and keep working.
 */
export class GateHold {
  private readonly holders = new Set<symbol>();
  private releasedAt = -Infinity;
  private withheldCount = 0;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(private readonly options: { logger: Logger; graceMs?: number; now?: () => number }) {
    this.graceMs = options.graceMs ?? DEFAULT_HOLD_GRACE_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** Hold face decisions until the returned function is called (calling it twice is harmless). */
  acquire(reason: string): () => void {
    const token = Symbol(reason);
    this.holders.add(token);
    this.options.logger.info({ reason, holders: this.holders.size }, 'gate face decisions paused');
    return () => {
      if (!this.holders.delete(token)) return;
      this.releasedAt = this.now();
      if (this.holders.size === 0) this.options.logger.info({ reason, graceMs: this.graceMs, withheld: this.withheldCount }, 'gate face decisions resume after the grace time');
    };
  }

  get held(): boolean {
    return this.holders.size > 0 || this.now() - this.releasedAt < this.graceMs;
  }

  /** Decisions dropped since start. */
  get withheld(): number {
    return this.withheldCount;
  }

  /** Wrap the gate's decision handler: while held, a decision is logged and dropped instead. */
  guard<Rest extends unknown[]>(handler: (decision: GateDecision, ...rest: Rest) => void): (decision: GateDecision, ...rest: Rest) => void {
    return (decision, ...rest) => {
      if (!this.held) {
        handler(decision, ...rest);
        return;
      }
      this.withheldCount += 1;
      this.options.logger.info({ trackId: decision.trackId, decision: decision.decision, withheld: this.withheldCount }, 'face decision withheld during a kiosk enrolment');
    };
  }
}
