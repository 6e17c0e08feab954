import { EventEmitter } from 'node:events';
import { errorMessage } from '../appliance/common/errors.js';
import type { Logger } from '../appliance/common/logger.js';
import { openCommandResult, type CommandResult } from '../protocol/command-result.js';
import { EnvelopeError } from '../protocol/envelope-errors.js';
import type { TopicParts } from '../protocol/topics.js';
import type { AlertManager } from './alerts.js';
import type { SqlExecutor } from './db/sql.js';
import type { DeviceRegistry, FleetKeyring } from './registry.js';
import type { FleetStore } from './store.js';

/**
 * The fleet monitor's receive path for `cmd-result`: open each sealed result against the
 * registered device keys and store it in `command_results`, dropping duplicates by result id. A
 * result that fails to open is stored in `rejections` and raises `envelope.rejected`, as an event
 * that fails would.
 */

export interface CommandResultRow {
  result_id: string;
  command_id: string;
  device_id: string;
  site_id: string;
  name: string;
  outcome: string;
  reason: string;
  finished_at: string;
  audit_entry_id: string;
  payload: string;
  received_at: number;
  receiver: string;
}

export interface CommandResultsOptions {
  store: FleetStore;
  registry: DeviceRegistry;
  keyring: FleetKeyring;
  alerts: AlertManager;
  logger: Logger;
  /** Name of this fleet instance, stored with each result. */
  receiver: string;
  now?: () => number;
}

export class CommandResults {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly emitter = new EventEmitter();
  private readonly working = new Set<Promise<void>>();

  constructor(private readonly options: CommandResultsOptions) {
    this.log = options.logger.child({ module: 'command-results' });
    this.now = options.now ?? Date.now;
  }

  /** Take one `cmd-result` message; returns at once, the work happens in the background. */
  accept(parts: TopicParts, topic: string, payload: Buffer): void {
    const work = this.handle(parts, topic, payload.toString('utf8')).catch((error: unknown) => {
      this.log.error({ err: error, topic }, 'storing a command result failed');
    });
    this.working.add(work);
    void work.finally(() => this.working.delete(work));
  }

  /** Call `listener` with each result stored for the first time. Returns a function that removes it. */
  on(event: 'result', listener: (result: CommandResult) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Resolve once every result accepted so far is stored. */
  async flush(): Promise<void> {
    while (this.working.size > 0) await Promise.all([...this.working]);
  }

  async stop(): Promise<void> {
    await this.flush();
    this.emitter.removeAllListeners();
  }

  private async handle(parts: TopicParts, topic: string, payload: string): Promise<void> {
    const { store, registry, keyring, alerts } = this.options;
    const receivedAt = this.now();
    let result: CommandResult;
    try {
      result = (await openCommandResult(payload, { fleetPrivateKey: keyring.resolve, resolveDeviceKey: registry.resolve, topic })).payload;
    } catch (error) {
      const kind = error instanceof EnvelopeError ? error.kind : 'internal';
      if (!(error instanceof EnvelopeError)) this.log.error({ err: error, topic }, 'opening a command result failed unexpectedly');
      const message = errorMessage(error);
      await store.db.transaction((tx) => store.insertRejection(tx, { topic, deviceId: parts.deviceId, kind, message, receivedAt, receiver: this.options.receiver }));
      await alerts.raise(parts.deviceId, 'envelope.rejected', `A message on ${topic} was rejected (${kind}): ${message}`, { topic, reason: kind });
      return;
    }
    const stored = await store.db.transaction((tx) => insertCommandResult(tx, result, receivedAt, this.options.receiver));
    if (!stored) return;
    this.log.info({ commandId: result.commandId, deviceId: result.deviceId, name: result.name, outcome: result.outcome, reason: result.reason }, 'command result stored');
    this.emitter.emit('result', result);
  }
}

/** Store one result; returns false when its result id is already stored. */
export async function insertCommandResult(tx: SqlExecutor, result: CommandResult, receivedAt: number, receiver: string): Promise<boolean> {
  const changed = await tx.run(
    `INSERT INTO command_results (result_id, command_id, device_id, site_id, name, outcome, reason, finished_at, audit_entry_id, payload, received_at, receiver)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (result_id) DO NOTHING`,
    [
      result.resultId, result.commandId, result.deviceId, result.siteId, result.name, result.outcome, result.reason, result.finishedAt,
      result.auditEntryId, JSON.stringify(result), receivedAt, receiver,
    ],
  );
  return changed > 0;
}

/** List every result stored for one command, in arrival order. */
export function commandResultsFor(store: FleetStore, commandId: string): Promise<CommandResultRow[]> {
  return store.db.query<CommandResultRow>(
    `SELECT result_id, command_id, device_id, site_id, name, outcome, reason, finished_at, audit_entry_id, payload, received_at, receiver
     FROM command_results WHERE command_id = ? ORDER BY received_at, result_id`,
    [commandId],
  );
}
