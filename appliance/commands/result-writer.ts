import type { AuditAction, AuditDetail, Outcome } from '../audit/entry.js';
import type { AuditDraft, AuditLog } from '../audit/log.js';
import type { EventKeys } from '../daemon/event-recorder.js';
import type { Outbox } from '../outbox/outbox.js';
import { sealCommandResult, type CommandOutcome, type CommandOutput } from '../../protocol/command-result.js';
import { formatMacauTime } from '../../protocol/wall-time.js';

/**
 * Writes the outcome of a command: its audit entry and, when the command id and name are known,
 * its sealed `cmd-result` row. Both commit in one outbox transaction, so the fleet never gets a
 * result whose audit entry is missing, or the reverse.
 */

/** Outbox sequence stream of command results. */
export const RESULT_STREAM = 'cmd-result';

/** Detail keys an audit entry may have, as the audit schema in appliance/audit/entry.ts allows. */
const MAX_DETAIL_KEYS = 16;

const AUDIT_OUTCOME: Record<CommandOutcome, Outcome> = { done: 'success', failed: 'failure', rejected: 'denied' };

export interface CommandRecord {
  resultId: string;
  auditEntryId: string;
  /** Without a command id or a name no result can be addressed, so only the audit entry is written. */
  commandId: string | undefined;
  name: string | undefined;
  outcome: CommandOutcome;
  reason: string;
  output?: CommandOutput | undefined;
  action: AuditAction;
  /** Operator whose key verified the command, or null when none did. */
  operator: string | null;
  sourceAddress: string | null;
  detail: AuditDetail;
}

export interface CommandResultWriterOptions {
  outbox: Outbox;
  audit: AuditLog;
  keys: EventKeys;
  siteId: string;
  deviceId: string;
  /** `facegate/v1/<site>/<device>/cmd-result`. */
  topic: string;
  now?: () => number;
}

export class CommandResultWriter {
  private readonly now: () => number;

  constructor(private readonly options: CommandResultWriterOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Commit the audit entry, and the result when there is one, and resolve once both are durable. When
   * the result cannot be queued (the outbox is at its hard limit or the disk is full, or sealing
   * fails), the entry is committed alone with `resultQueued: false` in its detail, and the error is
   * returned instead of thrown. Throws only when the audit entry itself cannot be written.
   */
  async write(record: CommandRecord): Promise<{ resultQueued: boolean; error?: unknown }> {
    const { outbox, audit, keys } = this.options;
    const draft = auditDraft(record);
    if (record.commandId === undefined || record.name === undefined) {
      audit.record(draft);
      return { resultQueued: false };
    }
    const result = {
      v: 1 as const,
      resultId: record.resultId,
      commandId: record.commandId,
      name: record.name,
      deviceId: this.options.deviceId,
      siteId: this.options.siteId,
      outcome: record.outcome,
      reason: record.reason,
      finishedAt: formatMacauTime(this.now()),
      auditEntryId: record.auditEntryId,
      ...(record.output === undefined ? {} : { output: record.output }),
    };
    try {
      await outbox.enqueue({
        stream: RESULT_STREAM,
        seal: async () => ({ id: record.resultId, topic: this.options.topic, payload: await sealCommandResult(result, keys) }),
        within: (db) => audit.append(db, draft),
      });
    } catch (error) {
      // The enqueue transaction rolled back, so the entry was not written. A command that acted must still be audited.
      audit.record({ ...draft, detail: withResultLost(draft.detail) });
      return { resultQueued: false, error };
    }
    return { resultQueued: true };
  }
}

/** Add `resultQueued: false` to an entry's detail, dropping its last key when the detail is full. */
function withResultLost(detail: AuditDetail | undefined): AuditDetail {
  const entries = Object.entries(detail ?? {}).slice(0, MAX_DETAIL_KEYS - 1);
  return { ...Object.fromEntries(entries), resultQueued: false };
}

function auditDraft(record: CommandRecord): AuditDraft {
  return {
    id: record.auditEntryId,
    actor: { kind: 'operator', id: record.operator },
    action: record.action,
    object: { kind: 'command', id: record.commandId ?? null },
    outcome: AUDIT_OUTCOME[record.outcome],
    reason: record.reason,
    sourceAddress: record.sourceAddress,
    detail: record.detail,
  };
}

/** Map an audit outcome back to the command outcome, to finish a command whose entry was already written. */
export function commandOutcomeOf(outcome: string): CommandOutcome {
  if (outcome === 'success') return 'done';
  return outcome === 'denied' ? 'rejected' : 'failed';
}
