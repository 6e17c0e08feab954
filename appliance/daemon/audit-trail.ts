import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuditDraft, AuditLog } from '../audit/index.js';
import type { Logger } from '../common/logger.js';
import type { AttendanceEvent } from '../../protocol/event.js';

/** Door name in audit entries; the daemon drives one door. */
export const DOOR_ID = 'main';

/**
 * Build the audit entry that records an attendance event, for appending in the event's outbox
 * transaction. Face decisions become `recognition.decision`, exit-button openings `door.exit-button`, and PIN
 * or badge clock-ins `fallback.clock-in`.
 */
export function auditDraftForEvent(event: AttendanceEvent): AuditDraft {
  const outcome = event.decision === 'granted' || event.decision === 'fallback' ? 'success' : 'denied';
  const actor: AuditDraft['actor'] = event.subject === null ? { kind: 'system', id: null } : { kind: 'worker', id: event.subject };
  let action: AuditDraft['action'] = 'fallback.clock-in';
  if (event.method === 'face') action = 'recognition.decision';
  if (event.method === 'exit-button') action = 'door.exit-button';
  return {
    actor,
    action,
    object: { kind: 'door', id: DOOR_ID },
    outcome,
    reason: event.reason ?? event.decision,
    eventId: event.eventId,
    detail: { decision: event.decision, method: event.method, doorActuated: event.doorActuated, direction: event.direction },
  };
}

/** SHA-256 of a file's bytes as lower-case hex, or null when it cannot be read. */
export function fileSha256(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

const SYSTEM = { kind: 'system', id: null } as const;

/**
 * The daemon's audit entries that record no attendance event: service start and stop, the
 * configuration loaded, repeat grants inside the debounce time, door alarms, gallery reloads,
 * vision worker replacements and outbox overflow. A failed write is logged and never stops the
 * gate, because the door has already acted when most of these are written.
 */
export class GateAudit {
  constructor(
    readonly log: AuditLog,
    private readonly logger: Logger,
  ) {}

  /** Record the start and, when the configuration came from a file, the SHA-256 of that file. */
  serviceStart(detail: { firmware: string; configFile: string | null; configSha256: string | null }): void {
    this.write({ actor: SYSTEM, action: 'service.start', object: { kind: 'service', id: 'facegate' }, outcome: 'success', detail: { firmware: detail.firmware } });
    if (detail.configFile === null) return;
    this.write({
      actor: SYSTEM,
      action: 'config.load',
      object: { kind: 'config', id: null },
      outcome: detail.configSha256 === null ? 'failure' : 'success',
      reason: detail.configSha256 === null ? 'unreadable' : null,
      detail: { sha256: detail.configSha256, file: detail.configFile.slice(-128) },
    });
  }

  serviceStop(uptimeS: number): void {
    this.write({ actor: SYSTEM, action: 'service.stop', object: { kind: 'service', id: 'facegate' }, outcome: 'success', detail: { uptimeS } });
  }

  /** Record a grant inside the debounce time, which may open the door but writes no attendance event. */
  repeatGrant(subject: string | null, doorActuated: boolean): void {
    this.write({
      actor: subject === null ? SYSTEM : { kind: 'worker', id: subject },
      action: 'recognition.decision',
      object: { kind: 'door', id: DOOR_ID },
      outcome: 'success',
      reason: 'repeat-within-debounce',
      detail: { doorActuated },
    });
  }

  doorForced(wallTime: string): void {
    this.write({ actor: SYSTEM, action: 'door.forced', object: { kind: 'door', id: DOOR_ID }, outcome: 'failure', reason: 'door-forced', detail: { contactAt: wallTime } });
  }

  doorHeldOpen(openForMs: number, wallTime: string): void {
    this.write({
      actor: SYSTEM,
      action: 'door.held-open',
      object: { kind: 'door', id: DOOR_ID },
      outcome: 'failure',
      reason: 'door-held-open',
      detail: { openForMs: Math.round(openForMs), contactAt: wallTime },
    });
  }

  galleryReload(result: { templates: number; subjects: number; rejected: number } | { error: string }): void {
    const ok = !('error' in result);
    this.write({
      actor: SYSTEM,
      action: 'gallery.reload',
      object: { kind: 'gallery', id: null },
      outcome: ok ? 'success' : 'failure',
      reason: ok ? null : 'reload-failed',
      detail: ok ? { ...result } : { error: result.error.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 128) },
    });
  }

  visionRestart(restarts: number): void {
    this.write({ actor: SYSTEM, action: 'vision.restart', object: { kind: 'service', id: 'vision-worker' }, outcome: 'success', reason: 'analysis-timed-out', detail: { restarts } });
  }

  outboxOverflow(alarm: { depth: number; limit: number; hardLimit: number }): void {
    this.write({ actor: SYSTEM, action: 'outbox.overflow', object: { kind: 'outbox', id: null }, outcome: 'failure', reason: 'over-limit', detail: { ...alarm } });
  }

  private write(draft: AuditDraft): void {
    try {
      this.log.record(draft);
    } catch (error) {
      this.logger.error({ err: error, action: draft.action }, 'writing an audit entry failed');
    }
  }
}
