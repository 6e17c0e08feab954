import type { KeyObject } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import { errorMessage } from '../common/errors.js';
import type { Outbox } from '../outbox/outbox.js';
import { EnvelopeSchemaError } from '../../protocol/envelope-errors.js';
import { deviceTopics } from '../../protocol/topics.js';
import { checkpointSchema } from './checkpoint.js';
import { AuditLog, type Unshipped } from './log.js';
import { sealAuditMessage, type AuditMessage, type AuditSealKeys } from './wire.js';

/**
 * Moves the audit log onto the `audit` topic: seals each entry and each checkpoint and commits it
 * to the outbox stream `audit`, marking it shipped in the same transaction, so a crash between the
 * two can neither lose nor duplicate it. Signs a checkpoint after every `checkpointEvery` entries
 * and, when entries arrived since the last one, every `checkpointIntervalMs`; stop() signs a last
 * one so the log ends on a checkpoint.
 */

export interface AuditShipperOptions {
  audit: AuditLog;
  outbox: Outbox;
  logger: Logger;
  /** Device Ed25519 private key: signs the envelopes and the checkpoints. */
  deviceSigningKey: KeyObject;
  deviceKid: string;
  fleetPublicKey: KeyObject;
  fleetKid: string;
  /** Entries between checkpoints; 100 by default. */
  checkpointEvery?: number;
  /** Longest time new entries wait for a checkpoint; 10 minutes by default. */
  checkpointIntervalMs?: number;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
}

export class AuditShipper {
  private readonly options: AuditShipperOptions;
  private readonly log: Logger;
  private readonly keys: AuditSealKeys;
  private readonly topic: string;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly removers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pumping: Promise<void> | undefined;
  private again = false;

  constructor(options: AuditShipperOptions) {
    this.options = options;
    this.log = options.logger.child({ module: 'audit-shipper' });
    this.keys = { deviceSigningKey: options.deviceSigningKey, deviceKid: options.deviceKid, fleetPublicKey: options.fleetPublicKey, fleetKid: options.fleetKid };
    this.topic = deviceTopics(options.audit.siteId, options.audit.deviceId).audit;
    this.checkpointEvery = options.checkpointEvery ?? 100;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    if (!(Number.isInteger(this.checkpointEvery) && this.checkpointEvery >= 1)) throw new RangeError(`checkpointEvery must be a whole number >= 1, got ${this.checkpointEvery}.`);
    if (!(this.checkpointIntervalMs >= 1000)) throw new RangeError(`checkpointIntervalMs must be at least 1000, got ${this.checkpointIntervalMs}.`);
  }

  /** Ship what is waiting, then follow new entries until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.removers.push(this.options.outbox.onEnqueued((row) => {
      if (row.stream !== 'audit') this.kick();
    }));
    this.removers.push(this.options.audit.onRecorded(() => this.kick()));
    // Check the interval at a tenth of its length, so a checkpoint is at most 10 % late.
    this.timer = setInterval(() => this.kick(), Math.max(1000, this.checkpointIntervalMs / 10));
    this.timer.unref();
    this.kick();
  }

  /** Sign a checkpoint if entries arrived since the last one, ship everything, and stop following. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const remove of this.removers.splice(0)) remove();
    await this.pumping;
    this.options.audit.createCheckpoint(this.options.deviceSigningKey);
    await this.shipPending();
  }

  /** Ship everything waiting now, signing a checkpoint first when one is due; resolves when done. */
  async flush(): Promise<void> {
    this.kick();
    while (this.pumping !== undefined) await this.pumping;
  }

  /** Sign a checkpoint now (if entries arrived since the last one) and ship it. */
  async checkpointNow(): Promise<void> {
    this.options.audit.createCheckpoint(this.options.deviceSigningKey);
    await this.flush();
  }

  private kick(): void {
    if (this.pumping !== undefined) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again && this.running) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        this.checkpointIfDue();
        await this.shipPending();
      } while (this.again);
    } catch (error) {
      // The outbox refused (full, disk full, closed); the items stay unshipped for the next kick.
      this.log.error({ err: error }, `shipping the audit log failed: ${errorMessage(error)}`);
    }
  }

  private checkpointIfDue(): void {
    const { audit } = this.options;
    const head = audit.head();
    const last = audit.lastCheckpoint();
    const covered = last?.size ?? 0;
    if (head.size <= covered) return;
    const byCount = head.size - covered >= this.checkpointEvery;
    const byTime = this.now() - (last?.createdAt ?? this.startedAt) >= this.checkpointIntervalMs;
    if (byCount || byTime) audit.createCheckpoint(this.options.deviceSigningKey);
  }

  private async shipPending(): Promise<void> {
    const { audit, outbox } = this.options;
    for (let item = audit.nextUnshipped(); item !== undefined; item = audit.nextUnshipped()) {
      const message = this.toMessage(item);
      if (message === undefined) continue;
      try {
        await outbox.enqueue({
          stream: 'audit',
          seal: async () => ({ id: item!.id, topic: this.topic, payload: await sealAuditMessage(message, this.keys) }),
          within: (db) => audit.markShipped(db, item!),
        });
      } catch (error) {
        if (!(error instanceof EnvelopeSchemaError)) throw error;
        audit.markUnshippable(item, error.message);
        continue;
      }
      // A full batch of entries is a checkpoint's worth: sign it before shipping further entries.
      if (item.kind === 'entry') this.checkpointIfDue();
    }
  }

  private toMessage(item: Unshipped): AuditMessage | undefined {
    if (item.kind === 'checkpoint') {
      const parsed = checkpointSchema.safeParse(item.value);
      if (parsed.success) return { kind: 'checkpoint', checkpoint: parsed.data };
      this.options.audit.markUnshippable(item, parsed.error.message);
      return undefined;
    }
    const parsed = AuditLog.parseEntry(item.value);
    if ('entry' in parsed) return { kind: 'entry', entry: parsed.entry };
    this.options.audit.markUnshippable(item, parsed.problem);
    return undefined;
  }
}
