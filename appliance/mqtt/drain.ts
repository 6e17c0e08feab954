import type { Logger } from '../common/logger.js';
import type { Outbox, OutboxRow } from '../outbox/outbox.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * Sends the outbox over one MQTT connection: oldest row first, at most `maxInflight` unacknowledged
 * at a time, one token from the rate limiter per message. A row is marked delivered only after
 * the broker's PUBACK with a success reason code. Marks and attempt counts are written in small
 * batches, one transaction (one fsync) per batch.
 *
 * A Drain lives as long as its connection. Rows still in flight when the connection drops stay
 * undelivered in the outbox, and the next connection's Drain sends them again from the start.
 */

export type SendOutcome =
  | { kind: 'acked'; reasonCode: number }
  | { kind: 'rejected'; reasonCode: number; reason: string }
  | { kind: 'lost'; error: Error };

export interface Delivery {
  id: string;
  seq: number;
  stream: string;
  topic: string;
  /** Attempts including this one. */
  attempts: number;
  /** From the outbox commit to the PUBACK, in wall-clock milliseconds. */
  commitToAckMs: number;
}

export interface Rejection {
  id: string;
  seq: number;
  topic: string;
  reasonCode: number;
  reason: string;
}

export interface DrainOptions {
  outbox: Outbox;
  log: Logger;
  /** Publish one row at QoS 1 and call `done` once with the outcome. */
  send(row: OutboxRow, done: (outcome: SendOutcome) => void): void;
  limiter: TokenBucket | undefined;
  maxInflight: number;
  batchSize: number;
  flushIntervalMs: number;
  onDelivered(delivery: Delivery): void;
  onRejected(rejection: Rejection): void;
  /** Unix milliseconds, to compare with the outbox commit time. */
  now: () => number;
}

export class Drain {
  private active = false;
  private pumping = false;
  private cursor = 0;
  private buffer: OutboxRow[] = [];
  private exhausted = false;
  private readonly inflight = new Map<string, OutboxRow>();
  /** Acknowledged but not yet marked in the outbox, so a rescan does not send them again. */
  private readonly acked = new Map<string, { row: OutboxRow; ackAt: number }>();
  private readonly attempted: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private limiterTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: DrainOptions) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  start(): void {
    this.active = true;
    this.pump();
  }

  /** New rows may be waiting. */
  kick(): void {
    if (this.exhausted) this.exhausted = false;
    this.pump();
  }

  /** Start again from the oldest undelivered row, to retry rows the broker rejected earlier. */
  rescan(): void {
    if (this.buffer.length > 0) return;
    this.cursor = 0;
    this.exhausted = false;
    this.pump();
  }

  /** Resolve once nothing is buffered, in flight or left in the outbox, or when the drain stops. */
  whenIdle(): Promise<void> {
    if (this.isIdle() || !this.active) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop sending and write outstanding marks. Acknowledgements that still arrive are recorded. */
  stop(): void {
    this.active = false;
    clearTimeout(this.limiterTimer);
    this.limiterTimer = undefined;
    this.flush();
    this.releaseIdleWaiters();
  }

  private isIdle(): boolean {
    return this.exhausted && this.buffer.length === 0 && this.inflight.size === 0;
  }

  private pump(): void {
    if (!this.active || this.pumping) return;
    this.pumping = true;
    try {
      while (this.inflight.size < this.options.maxInflight) {
        if (this.buffer.length === 0 && !this.refill()) break;
        if (this.options.limiter !== undefined && !this.options.limiter.tryTake()) {
          this.waitForToken();
          break;
        }
        const row = this.buffer.shift()!;
        this.cursor = row.position;
        this.sendRow(row);
      }
    } catch (error) {
      // The outbox failed to read (closed or damaged); leave the rows for the next connection.
      this.options.log.error({ err: error }, 'reading the outbox failed; draining paused until the next connection');
      this.active = false;
    } finally {
      this.pumping = false;
    }
    if (this.isIdle()) this.releaseIdleWaiters();
  }

  private refill(): boolean {
    const rows = this.options.outbox.pending(this.options.batchSize, this.cursor);
    if (rows.length === 0) {
      this.exhausted = true;
      return false;
    }
    this.cursor = rows.at(-1)!.position;
    this.buffer = rows.filter((row) => !this.inflight.has(row.id) && !this.acked.has(row.id));
    // Every row of the page may already be in flight; move on to the next page.
    return this.buffer.length > 0 || this.refill();
  }

  private waitForToken(): void {
    if (this.limiterTimer !== undefined) return;
    const wait = Math.max(1, this.options.limiter!.msUntilAvailable());
    this.limiterTimer = setTimeout(() => {
      this.limiterTimer = undefined;
      this.pump();
    }, wait);
  }

  private sendRow(row: OutboxRow): void {
    this.inflight.set(row.id, row);
    this.attempted.push(row.id);
    this.scheduleFlush();
    let settled = false;
    this.options.send(row, (outcome) => {
      if (settled) return;
      settled = true;
      this.inflight.delete(row.id);
      this.settle(row, outcome);
      this.pump();
      if (this.isIdle() || !this.active) this.releaseIdleWaiters();
    });
  }

  private settle(row: OutboxRow, outcome: SendOutcome): void {
    if (outcome.kind === 'acked') {
      this.acked.set(row.id, { row, ackAt: this.options.now() });
      this.scheduleFlush();
      return;
    }
    if (outcome.kind === 'rejected') {
      this.options.onRejected({ id: row.id, seq: row.seq, topic: row.topic, reasonCode: outcome.reasonCode, reason: outcome.reason });
      return;
    }
    this.options.log.debug({ id: row.id, err: outcome.error }, 'publish lost with the connection; it stays in the outbox');
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.options.flushIntervalMs);
  }

  /** Write attempt counts and delivered marks in one transaction, then report the deliveries. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.attempted.length === 0 && this.acked.size === 0) return;
    const attempted = this.attempted.splice(0);
    const acked = [...this.acked.values()];
    try {
      this.options.outbox.transaction(() => {
        this.options.outbox.recordAttempts(attempted);
        this.options.outbox.markDeliveredMany(acked.map(({ row }) => row.id));
      });
    } catch (error) {
      // The rows stay undelivered and are sent again later; the receiver drops the duplicates by event id.
      this.options.log.error({ err: error, rows: acked.length }, 'marking rows delivered failed; they will be sent again');
      for (const { row } of acked) this.acked.delete(row.id);
      return;
    }
    for (const { row, ackAt } of acked) {
      this.acked.delete(row.id);
      this.options.onDelivered({
        id: row.id,
        seq: row.seq,
        stream: row.stream,
        topic: row.topic,
        attempts: row.attempts + 1,
        commitToAckMs: ackAt - row.createdAt,
      });
    }
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }
}
