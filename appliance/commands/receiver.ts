import { isIP } from 'node:net';
import type { AuditDetail } from '../audit/entry.js';
import type { AuditLog } from '../audit/log.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { EventKeys } from '../daemon/event-recorder.js';
import { TokenBucket } from '../mqtt/token-bucket.js';
import type { Outbox } from '../outbox/outbox.js';
import type { OperatorResolver } from '../../protocol/command.js';
import type { DeviceTopics } from '../../protocol/topics.js';
import { Uuidv7Generator } from '../../protocol/uuidv7.js';
import { MAX_COMMAND_MESSAGE_BYTES, checkCommand, type AcceptedCommand, type RejectedCommand } from './check.js';
import { CommandLedger, type LedgerEntry } from './ledger.js';
import type { CommandRegistry, HandlerOutcome } from './registry.js';
import { CommandResultWriter, commandOutcomeOf, type CommandRecord } from './result-writer.js';

/**
 * Receives remote commands on `facegate/v1/<site>/<device>/cmd/<name>` through the publisher's
 * MQTT connection, checks each one (check.ts), claims its id and nonce in the ledger, runs its
 * handler, and commits the audit entry and the sealed `cmd-result` in one outbox transaction.
 * Commands run one at a time in arrival order. A rejected command is audited and gets a `rejected`
 * result when its id can be read. No message, however malformed, stops the daemon.
 */

/** The part of the daemon's MqttPublisher the receiver uses: its topics, its broker address and its subscriptions. */
export interface CommandTransport {
  readonly topics: DeviceTopics;
  readonly broker: { readonly host: string };
  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void;
}

export interface CommandReceiverOptions {
  mqtt: CommandTransport;
  outbox: Outbox;
  audit: AuditLog;
  keys: EventKeys;
  stateDir: string;
  operators: OperatorResolver;
  handlers: CommandRegistry;
  skewMs: number;
  maxLifetimeMs: number;
  logger: Logger;
  /** Rate of rejections that get an audit entry and a result, per second with a burst; 0.5 per second and 30 by default. */
  rejectionRate?: { perSecond: number; burst: number };
  /** Messages waiting to be handled before further ones are dropped; 64 by default. */
  maxQueued?: number;
  /** How often expired ledger rows are pruned; 1 hour by default. */
  pruneIntervalMs?: number;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
}

/** Time a ledger row outlives its command's expiry, so a clock stepped back by up to this cannot revive a pruned command. */
const LEDGER_MARGIN_MS = 24 * 3_600_000;

export class CommandReceiver {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly ids: Uuidv7Generator;
  private readonly writer: CommandResultWriter;
  private readonly rejections: TokenBucket;
  private readonly sourceAddress: string | null;
  private ledger: CommandLedger | undefined;
  private unsubscribe: (() => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private suppressed = 0;
  private dropped = 0;

  constructor(private readonly options: CommandReceiverOptions) {
    this.log = options.logger.child({ module: 'commands' });
    this.now = options.now ?? Date.now;
    this.ids = new Uuidv7Generator({ now: this.now });
    const { topics } = options.mqtt;
    this.writer = new CommandResultWriter({ outbox: options.outbox, audit: options.audit, keys: options.keys, siteId: topics.siteId, deviceId: topics.deviceId, topic: topics.cmdResult, now: this.now });
    const rate = options.rejectionRate ?? { perSecond: 0.5, burst: 30 };
    this.rejections = new TokenBucket({ ratePerSecond: rate.perSecond, burst: rate.burst });
    // The audit schema takes an IP address only; a broker named by host name is kept in the detail.
    this.sourceAddress = isIP(options.mqtt.broker.host) === 0 ? null : options.mqtt.broker.host;
  }

  /** Open the ledger, finish commands a previous run left unfinished, then subscribe. */
  async start(): Promise<void> {
    const ledger = CommandLedger.open(this.options.stateDir);
    this.ledger = ledger;
    try {
      await this.finishInterrupted(ledger);
      this.prune();
    } catch (error) {
      ledger.close();
      this.ledger = undefined;
      throw error;
    }
    this.pruneTimer = setInterval(() => this.prune(), this.options.pruneIntervalMs ?? 3_600_000);
    this.pruneTimer.unref();
    this.unsubscribe = this.options.mqtt.subscribe(this.options.mqtt.topics.commandFilter, (topic, payload) => this.receive(topic, payload));
    this.log.info({ filter: this.options.mqtt.topics.commandFilter, commands: this.options.handlers.names(), ledger: ledger.file }, 'listening for remote commands');
  }

  /** Take one MQTT message; the work happens in the background, one message at a time. */
  receive(topic: string, payload: Buffer): void {
    if (this.ledger === undefined) return;
    if (this.queued >= (this.options.maxQueued ?? 64)) {
      this.dropped += 1;
      this.log.warn({ topic, dropped: this.dropped }, 'too many remote commands waiting; dropped one without an audit entry or result');
      return;
    }
    this.queued += 1;
    // Mosquitto (2.0, message_size_limit 0 by default) forwards payloads up to the MQTT maximum of
    // 268,435,455 bytes. Of an oversized message only the bytes that show it is oversized are copied
    // and kept, so queued messages cannot exhaust the gate's memory.
    const kept = payload.length > MAX_COMMAND_MESSAGE_BYTES ? Buffer.from(payload.subarray(0, MAX_COMMAND_MESSAGE_BYTES + 1)) : payload;
    this.queue = this.queue
      .then(() => this.handle(topic, kept))
      .catch((error: unknown) => this.log.error({ err: error, topic }, 'handling a remote command failed'))
      .finally(() => {
        this.queued -= 1;
      });
  }

  /** Resolve once every message received so far has been handled. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.queue;
      await current;
    } while (current !== this.queue);
  }

  /** Unsubscribe, finish the commands already received and close the ledger. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.idle();
    this.ledger?.close();
    this.ledger = undefined;
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const ledger = this.ledger;
    if (ledger === undefined) return;
    const started = performance.now();
    const checked = await checkCommand(topic, payload, this.now(), {
      siteId: this.options.mqtt.topics.siteId,
      deviceId: this.options.mqtt.topics.deviceId,
      operators: this.options.operators,
      handlers: this.options.handlers,
      skewMs: this.options.skewMs,
      maxLifetimeMs: this.options.maxLifetimeMs,
    });
    if (!checked.accepted) {
      await this.reject(checked, topic);
      return;
    }

    const { payload: command } = checked;
    const entry: LedgerEntry = {
      commandId: command.commandId,
      nonce: command.nonce,
      name: command.name,
      operator: checked.operator,
      receivedAt: this.now(),
      keepUntil: checked.expiresAtMs + this.options.skewMs + LEDGER_MARGIN_MS,
      resultId: this.ids.next(),
      auditEntryId: this.options.audit.newEntryId(),
    };
    const claim = ledger.claim(entry);
    if (!claim.claimed) {
      const message = `The ${claim.seen} of command ${command.commandId} was seen before; a command runs once.`;
      await this.reject({ accepted: false, reason: 'replayed', message, name: command.name, commandId: command.commandId, operator: checked.operator, claimedOperator: undefined, kid: checked.kid, handler: checked.handler }, topic);
      return;
    }

    const outcome = await this.run(checked);
    const record: CommandRecord = {
      resultId: entry.resultId,
      auditEntryId: entry.auditEntryId,
      commandId: command.commandId,
      name: command.name,
      outcome: outcome.outcome,
      reason: outcome.reason,
      output: outcome.output,
      action: checked.handler.action,
      operator: checked.operator,
      sourceAddress: this.sourceAddress,
      detail: this.detail(checked, outcome.detail),
    };
    try {
      const written = await this.writer.write(record);
      if (!written.resultQueued) this.logResultLost(written.error, command.commandId, command.name);
    } catch (error) {
      // The handler has acted, so the ledger still marks the command finished: reporting it as interrupted at the next start would be false.
      this.log.error({ err: error, commandId: command.commandId, name: command.name, outcome: outcome.outcome }, 'the result and audit entry of a remote command could not be written');
    }
    ledger.finish(command.commandId, outcome.outcome);
    this.log.info(
      { commandId: command.commandId, name: command.name, operator: checked.operator, outcome: outcome.outcome, reason: outcome.reason, ms: Math.round(performance.now() - started) },
      `remote command ${command.name} ${outcome.outcome}`,
    );
  }

  private async run(checked: AcceptedCommand): Promise<HandlerOutcome> {
    const { payload: command } = checked;
    try {
      return await checked.handler.run(checked.args, {
        commandId: command.commandId,
        operator: checked.operator,
        sourceAddress: this.sourceAddress,
        logger: this.log.child({ commandId: command.commandId }),
      });
    } catch (error) {
      this.log.error({ err: error, commandId: command.commandId, name: command.name }, `remote command ${command.name} failed`);
      return { outcome: 'failed', reason: 'handler-error', detail: { error: printable(errorMessage(error)) } };
    }
  }

  private async reject(rejected: RejectedCommand, topic: string): Promise<void> {
    const fields = { topic, reason: rejected.reason, commandId: rejected.commandId, kid: rejected.kid, operator: rejected.operator ?? rejected.claimedOperator };
    // Forged or broken commands are audited at a bounded rate, so a flood cannot fill the outbox.
    if (!this.rejections.tryTake()) {
      this.suppressed += 1;
      if (this.suppressed === 1) this.log.warn(fields, 'remote commands are rejected faster than they are audited; skipping audit entries and results');
      else this.log.debug({ ...fields, suppressed: this.suppressed }, 'rejected remote command not audited');
      return;
    }
    if (this.suppressed > 0) {
      this.log.warn({ suppressed: this.suppressed }, `${this.suppressed} rejected remote commands were not audited`);
      this.suppressed = 0;
    }
    this.log.warn({ ...fields, detail: rejected.message }, `rejected a remote command: ${rejected.reason}`);

    const base: AuditDetail = {
      ...(rejected.name === undefined ? { topic: printable(topic) } : { name: rejected.name }),
      ...(rejected.kid === undefined ? {} : { kid: rejected.kid }),
      ...(rejected.claimedOperator === undefined ? {} : { claimedOperator: rejected.claimedOperator }),
    };
    const written = await this.writer.write({
      resultId: this.ids.next(),
      auditEntryId: this.options.audit.newEntryId(),
      commandId: rejected.commandId,
      name: rejected.name,
      outcome: 'rejected',
      reason: rejected.reason,
      action: rejected.handler?.action ?? 'command.received',
      operator: rejected.operator ?? null,
      sourceAddress: this.sourceAddress,
      detail: { ...base, ...this.sourceDetail() },
    });
    if (!written.resultQueued && written.error !== undefined) this.logResultLost(written.error, rejected.commandId, rejected.name);
  }

  private logResultLost(error: unknown, commandId: string | undefined, name: string | undefined): void {
    this.log.error({ err: error, commandId, name }, 'the result of a remote command could not be queued, so its audit entry was written without it');
  }

  /**
   * Record, with its audit entry, a failed result for each command a previous run claimed but never
   * finished. A command whose entry cannot be written stays unfinished for the next start, because
   * the gate must start even when its state folder refuses writes.
   */
  private async finishInterrupted(ledger: CommandLedger): Promise<void> {
    for (const entry of ledger.unfinished()) {
      try {
        await this.finishOneInterrupted(ledger, entry);
      } catch (error) {
        this.log.error({ err: error, commandId: entry.commandId, name: entry.name }, 'recording an interrupted remote command failed, and the next start tries again');
      }
    }
  }

  private async finishOneInterrupted(ledger: CommandLedger, entry: LedgerEntry): Promise<void> {
    const written = this.auditOutcome(entry.auditEntryId);
    if (written !== undefined) {
      // The result and its entry committed; only the ledger update was lost.
      ledger.finish(entry.commandId, commandOutcomeOf(written));
      return;
    }
    const handler = this.options.handlers.get(entry.name);
    const record: CommandRecord = {
      resultId: entry.resultId,
      auditEntryId: entry.auditEntryId,
      commandId: entry.commandId,
      name: entry.name,
      outcome: 'failed',
      reason: 'interrupted',
      action: handler?.action ?? 'command.received',
      operator: entry.operator,
      sourceAddress: this.sourceAddress,
      detail: { name: entry.name, ...this.sourceDetail() },
    };
    const result = await this.writer.write(record);
    if (!result.resultQueued) this.logResultLost(result.error, entry.commandId, entry.name);
    ledger.finish(entry.commandId, 'failed');
    this.log.warn({ commandId: entry.commandId, name: entry.name, operator: entry.operator }, 'a remote command was interrupted by a stop before its result; reported it as failed');
  }

  /** Outcome of the audit entry with this id, or undefined when it was never written. */
  private auditOutcome(entryId: string): string | undefined {
    // AuditLog offers no lookup by id, so this reads its table directly, inside an outbox transaction.
    return this.options.outbox.transaction((db) => db.prepare<[string], { outcome: string }>('SELECT outcome FROM audit_entries WHERE id = ?').get(entryId)?.outcome);
  }

  private prune(): void {
    try {
      const removed = this.ledger?.prune(this.now()) ?? 0;
      if (removed > 0) this.log.info({ removed }, 'pruned expired commands from the ledger');
    } catch (error) {
      this.log.error({ err: error }, 'pruning the command ledger failed');
    }
  }

  private detail(checked: AcceptedCommand, extra: AuditDetail | undefined): AuditDetail {
    const base: AuditDetail = { name: checked.payload.name, kid: checked.kid, issuedAt: checked.payload.issuedAt, expiresAt: checked.payload.expiresAt, ...this.sourceDetail() };
    // The audit schema allows 16 detail keys; the handler's own detail fills what is left.
    const room = 16 - Object.keys(base).length;
    return { ...Object.fromEntries(Object.entries(extra ?? {}).slice(0, room)), ...base };
  }

  private sourceDetail(): AuditDetail {
    return { source: 'broker', broker: printable(this.options.mqtt.broker.host) };
  }
}

/** Text fit for an audit detail value: no control characters, at most 128 characters. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 128);
}
