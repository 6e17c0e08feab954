/**
 * Recognises that another client is connecting with our client id, so the two stop taking the
 * session from each other in a reconnect loop.
 *
 * A broker that follows MQTT 5 section 3.1.4 sends DISCONNECT with reason code 0x8E (Session
 * taken over) before it closes the old connection; Mosquitto does so from 2.0.15. Mosquitto
 * 2.0.11 (Debian 12) closes the socket without a DISCONNECT, so a close with no reason code and
 * no error, after a CONNACK, is counted as "unexplained". Two of those in a row, with no failed
 * connection attempt and no stable connection between them, are treated as a takeover too.
 *
 * Once detected, every close is treated as a takeover until one connection has lasted
 * `clearAfterMs`. By then the other client is gone, and normal backoff applies again. A failed
 * connection attempt (the broker was unreachable) also resets the count of unexplained closes.
 */

export const SESSION_TAKEN_OVER = 0x8e;

export interface CloseFacts {
  /** Reason code of the broker's DISCONNECT, when it sent one. */
  reasonCode?: number;
  /** A CONNACK was received on this connection. */
  accepted: boolean;
  /** The socket reported an error before it closed. */
  failed: boolean;
  /** Time from CONNACK to close, in milliseconds (0 when not accepted). */
  lifetimeMs: number;
}

export interface TakeoverVerdict {
  takeover: boolean;
  /** First close of a takeover episode, the one to log at error. */
  firstOfEpisode: boolean;
  /** Evidence the takeover was recognised by. */
  evidence: 'reason-code' | 'repeated-unexplained-close' | 'none';
  /** A takeover episode ended because a connection lasted clearAfterMs. */
  cleared: boolean;
}

export interface TakeoverDetectorOptions {
  /** A connection this long resets the count of unexplained closes. */
  stableAfterMs: number;
  /** A connection this long ends a takeover episode. */
  clearAfterMs: number;
}

export class TakeoverDetector {
  private unexplainedInRow = 0;
  private active = false;

  constructor(private readonly options: TakeoverDetectorOptions) {}

  get inEpisode(): boolean {
    return this.active;
  }

  /** Judge one closed connection. */
  onClose(facts: CloseFacts): TakeoverVerdict {
    let cleared = false;
    if (facts.accepted && facts.lifetimeMs >= this.options.clearAfterMs && this.active) {
      this.active = false;
      cleared = true;
    }
    if (facts.accepted && facts.lifetimeMs >= this.options.stableAfterMs) this.unexplainedInRow = 0;

    const wasActive = this.active;
    let evidence: TakeoverVerdict['evidence'] = 'none';
    if (facts.reasonCode === SESSION_TAKEN_OVER) {
      evidence = 'reason-code';
    } else if (facts.accepted && facts.reasonCode === undefined && !facts.failed) {
      this.unexplainedInRow += 1;
      if (this.active || this.unexplainedInRow >= 2) evidence = 'repeated-unexplained-close';
    } else {
      this.unexplainedInRow = 0;
    }

    const takeover = evidence !== 'none';
    if (takeover) this.active = true;
    return { takeover, firstOfEpisode: takeover && !wasActive, evidence, cleared };
  }

  reset(): void {
    this.unexplainedInRow = 0;
    this.active = false;
  }
}
