import { EventEmitter } from 'node:events';
import type { Logger } from '../appliance/common/logger.js';
import { errorMessage } from '../appliance/common/errors.js';
import { verifyCheckpoint, type Checkpoint } from '../appliance/audit/checkpoint.js';
import type { AuditEntry } from '../appliance/audit/entry.js';
import { openAuditMessage } from '../appliance/audit/wire.js';
import { openEvent } from '../protocol/envelope-open.js';
import { EnvelopeError } from '../protocol/envelope-errors.js';
import type { AttendanceEvent } from '../protocol/event.js';
import type { TopicParts } from '../protocol/topics.js';
import type { AlertManager } from './alerts.js';
import { advanceChain, type ChainAdvance } from './chain.js';
import type { DeviceRegistry, FleetKeyring } from './registry.js';
import type { FleetStore } from './store.js';

/**
 * The receive path for sealed messages: open and verify each `events` and `audit` envelope against
 * the registered device keys, then write them in batches, one transaction per batch, with event
 * ids deduplicated by the database. After each commit the audit chains of the devices in the
 * batch are advanced, and alerts and the live feed are told what was new.
 */

export interface IngestOptions {
  store: FleetStore;
  registry: DeviceRegistry;
  keyring: FleetKeyring;
  alerts: AlertManager;
  logger: Logger;
  /** Name of this fleet instance, stored with each event. */
  receiver: string;
  batchSize: number;
  batchDelayMs: number;
  now?: () => number;
}

export interface IngestStats {
  received: number;
  events: { stored: number; duplicates: number };
  audit: { stored: number; duplicates: number; forks: number; checkpoints: number };
  rejected: Record<string, number>;
  batches: number;
  /** Wall time spent opening envelopes (decrypt, verify, validate), summed over concurrent opens. */
  openMs: number;
  /** Wall time spent in store transactions. */
  storeMs: number;
  /** Messages opened but not yet committed. */
  pending: number;
}

export interface IngestEvents {
  event: AttendanceEvent;
  chain: ChainAdvance;
  batch: { events: number; duplicates: number; ms: number };
}

type Item =
  | { kind: 'event'; event: AttendanceEvent }
  | { kind: 'entry'; entry: AuditEntry }
  | { kind: 'checkpoint'; checkpoint: Checkpoint; signatureOk: boolean; problem?: string | undefined }
  | { kind: 'rejected'; topic: string; deviceId: string; reason: string; message: string };

const RETRYABLE_PG_CODES = new Set(['40P01', '40001']);

export class Ingestor {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly emitter = new EventEmitter();
  private batch: Item[] = [];
  private opening = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly counters: IngestStats = {
    received: 0,
    events: { stored: 0, duplicates: 0 },
    audit: { stored: 0, duplicates: 0, forks: 0, checkpoints: 0 },
    rejected: {},
    batches: 0,
    openMs: 0,
    storeMs: 0,
    pending: 0,
  };

  constructor(private readonly options: IngestOptions) {
    this.log = options.logger.child({ module: 'ingest' });
    this.now = options.now ?? Date.now;
  }

  /** Take one sealed message; returns at once, the work happens in the background. */
  accept(parts: TopicParts, topic: string, payload: Buffer): void {
    this.counters.received += 1;
    this.opening += 1;
    const started = performance.now();
    void this.open(parts, topic, payload.toString('utf8'))
      .then((item) => {
        this.counters.openMs += performance.now() - started;
        this.add(item);
      })
      .finally(() => {
        this.opening -= 1;
        this.releaseIfIdle();
      });
  }

  /** Messages received and not yet committed. */
  get backlog(): number {
    return this.opening + this.batch.length;
  }

  stats(): IngestStats {
    return { ...this.counters, events: { ...this.counters.events }, audit: { ...this.counters.audit }, rejected: { ...this.counters.rejected }, pending: this.backlog };
  }

  on<K extends keyof IngestEvents>(event: K, listener: (payload: IngestEvents[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Resolve once every accepted message is opened and committed. */
  async flush(): Promise<void> {
    while (this.backlog > 0) {
      if (this.opening > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.write();
      await this.writing;
    }
    await this.writing;
  }

  async stop(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    this.emitter.removeAllListeners();
  }

  private async open(parts: TopicParts, topic: string, payload: string): Promise<Item> {
    const { registry, keyring } = this.options;
    try {
      if (parts.channel === 'events') {
        const opened = await openEvent(payload, { fleetPrivateKey: keyring.resolve, resolveDeviceKey: registry.resolve, topic });
        return { kind: 'event', event: opened.payload };
      }
      const opened = await openAuditMessage(payload, { fleetPrivateKey: keyring.resolve, resolveDeviceKey: registry.resolve, topic });
      if (opened.payload.kind === 'entry') return { kind: 'entry', entry: opened.payload.entry };
      const checkpoint = opened.payload.checkpoint;
      const check = verifyCheckpoint(checkpoint, opened.signer.publicKey as never);
      return { kind: 'checkpoint', checkpoint, signatureOk: check.ok, problem: check.message };
    } catch (error) {
      const reason = error instanceof EnvelopeError ? error.kind : 'internal';
      if (!(error instanceof EnvelopeError)) this.log.error({ err: error, topic }, 'opening a message failed unexpectedly');
      return { kind: 'rejected', topic, deviceId: parts.deviceId, reason, message: errorMessage(error) };
    }
  }

  private add(item: Item): void {
    this.batch.push(item);
    if (this.batch.length >= this.options.batchSize) {
      this.write();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.write(), this.options.batchDelayMs);
    }
  }

  private releaseIfIdle(): void {
    if (this.opening > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Queue the current batch for writing; batches commit one after another. */
  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const items = this.batch;
    this.batch = [];
    this.writing = this.writing.then(() => this.commitWithRetry(items)).catch((error: unknown) => {
      // NOTE: a batch that fails three times is lost on this instance, because the broker already has its
      // acknowledgement. The log line gives the count; the devices keep the events until they prune them.
      this.log.error({ err: error, items: items.length }, `writing a batch of ${items.length} messages failed; they were not stored`);
    });
  }

  private async commitWithRetry(items: Item[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.commit(items);
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE_PG_CODES.has(code)) throw error;
        this.log.warn({ attempt, code }, 'batch hit a deadlock or serialisation failure; retrying');
      }
    }
  }

  private async commit(items: Item[]): Promise<void> {
    const { store, receiver } = this.options;
    const started = performance.now();
    const receivedAt = this.now();
    const events = items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
    const entries = items.flatMap((item) => (item.kind === 'entry' ? [item.entry] : []));
    const checkpoints = items.flatMap((item) => (item.kind === 'checkpoint' ? [item] : []));
    const rejected = items.flatMap((item) => (item.kind === 'rejected' ? [item] : []));
    const seen = new Map<string, { siteId: string; at: number }>();
    for (const item of [...events, ...entries, ...checkpoints.map((c) => c.checkpoint)]) seen.set(item.deviceId, { siteId: item.siteId, at: receivedAt });
    const chainDevices = [...new Set([...entries.map((e) => e.deviceId), ...checkpoints.map((c) => c.checkpoint.deviceId)])].sort();

    const outcome = await store.db.transaction(async (tx) => {
      const stored = await store.insertEvents(tx, events, receivedAt, receiver);
      const audit = await store.insertAuditEntries(tx, entries, receivedAt);
      const newCheckpoints: typeof checkpoints = [];
      for (const item of checkpoints) {
        if (await store.insertCheckpoint(tx, item.checkpoint, item.signatureOk ? 'pending' : 'bad-signature', receivedAt)) newCheckpoints.push(item);
      }
      for (const item of rejected) await store.insertRejection(tx, { topic: item.topic, deviceId: item.deviceId, kind: item.reason, message: item.message, receivedAt, receiver });
      await store.touchDevices(tx, seen);
      const chains: ChainAdvance[] = [];
      for (const deviceId of chainDevices) chains.push(await advanceChain(tx, store.db.dialect, deviceId, receivedAt));
      return { stored, audit, newCheckpoints, chains };
    });

    const ms = performance.now() - started;
    this.counters.storeMs += ms;
    this.counters.batches += 1;
    this.counters.events.stored += outcome.stored.size;
    this.counters.events.duplicates += events.length - outcome.stored.size;
    this.counters.audit.stored += outcome.audit.stored.length;
    this.counters.audit.duplicates += outcome.audit.duplicates;
    this.counters.audit.forks += outcome.audit.forks.length;
    this.counters.audit.checkpoints += outcome.newCheckpoints.length;
    for (const item of rejected) this.counters.rejected[item.reason] = (this.counters.rejected[item.reason] ?? 0) + 1;
    this.emitter.emit('batch', { events: outcome.stored.size, duplicates: events.length - outcome.stored.size, ms });

    for (const event of events) if (outcome.stored.has(event.eventId)) this.emitter.emit('event', event);
    await this.alertAfterCommit(outcome.audit, outcome.newCheckpoints, outcome.chains, rejected);
  }

  private async alertAfterCommit(
    audit: Awaited<ReturnType<FleetStore['insertAuditEntries']>>,
    checkpoints: Array<Extract<Item, { kind: 'checkpoint' }>>,
    chains: ChainAdvance[],
    rejected: Array<Extract<Item, { kind: 'rejected' }>>,
  ): Promise<void> {
    const { alerts } = this.options;
    for (const entry of audit.stored) {
      if (entry.action === 'door.forced') await alerts.raise(entry.deviceId, 'door.forced', `Door ${entry.object?.id ?? ''} at ${entry.deviceId} was forced open at ${entry.wallTime}.`.replace('  ', ' '), { seq: entry.seq, wallTime: entry.wallTime });
      if (entry.action === 'door.held-open') await alerts.raise(entry.deviceId, 'door.held-open', `Door at ${entry.deviceId} was held open at ${entry.wallTime}.`, { seq: entry.seq, wallTime: entry.wallTime });
    }
    for (const { entry, storedHash } of audit.forks) {
      await alerts.raise(entry.deviceId, 'chain.fork', `Device ${entry.deviceId} sent two different audit entries with seq ${entry.seq}.`, { seq: entry.seq, hash: entry.hash, storedHash });
    }
    for (const item of checkpoints) {
      if (item.signatureOk) continue;
      await alerts.raise(item.checkpoint.deviceId, 'checkpoint.bad-signature', `Checkpoint ${item.checkpoint.number} of ${item.checkpoint.deviceId} has no valid signature: ${item.problem ?? 'unknown problem'}.`, {
        number: item.checkpoint.number,
        size: item.checkpoint.size,
      });
    }
    for (const chain of chains) {
      this.emitter.emit('chain', chain);
      if (chain.broken !== undefined) {
        await alerts.raise(chain.deviceId, 'chain.broken', `Audit chain of ${chain.deviceId} is broken at seq ${chain.broken.seq}: ${chain.broken.reason}.`, { seq: chain.broken.seq, reason: chain.broken.reason });
      }
      for (const mismatch of chain.checkpointsMismatched) {
        await alerts.raise(chain.deviceId, 'checkpoint.mismatch', `Checkpoint ${mismatch.number} of ${chain.deviceId} (size ${mismatch.size}) does not match the entries received: the device signed a different history.`, {
          number: mismatch.number,
          size: mismatch.size,
        });
      }
      if (chain.gapClosed) await alerts.resolve(chain.deviceId, 'chain.gap');
    }
    for (const item of rejected) {
      await alerts.raise(item.deviceId, 'envelope.rejected', `A message on ${item.topic} was rejected (${item.reason}): ${item.message}`, { topic: item.topic, reason: item.reason });
    }
  }

  /** Raise `chain.gap` for devices whose missing entry has been missing longer than `graceMs`. */
  async sweepGaps(graceMs: number): Promise<void> {
    const cutoff = this.now() - graceMs;
    const rows = await this.options.store.db.query<{ device_id: string; verified_seq: number; gap_since: number }>(
      'SELECT device_id, verified_seq, gap_since FROM chain_state WHERE gap_since IS NOT NULL AND gap_since < ? AND broken_seq IS NULL',
      [cutoff],
    );
    for (const row of rows) {
      await this.options.alerts.raise(row.device_id, 'chain.gap', `Audit entry ${row.verified_seq + 1} of ${row.device_id} is missing while later entries or checkpoints arrived.`, { seq: row.verified_seq + 1 });
    }
  }
}
