import type { RecordRequest } from '../daemon/event-recorder.js';
import type { CredentialStore } from './credentials.js';

/** Time a worker has to type the PIN after the worker number. */
export const PIN_ENTRY_TIMEOUT_MS = 20_000;

export interface FallbackResult {
  method: 'pin' | 'badge';
  decision: 'granted' | 'denied';
  /** Worker id, or null for an unknown badge. Never leaves the device: events carry the pseudonym. */
  subjectId: string | null;
  reason: 'pin-ok' | 'pin-wrong' | 'badge-ok' | 'badge-unknown';
}

/**
 * Decides PIN and badge entries. A keypad entry is two lines: the worker number, then the PIN,
 * each ended with Enter; a badge read is one badge id.
 */
export class FallbackAuthenticator {
  private pendingSubject: { subjectId: string; at: number } | undefined;

  constructor(
    private readonly credentials: CredentialStore,
    private readonly now: () => number = Date.now,
  ) {}

  badge(badgeId: string): FallbackResult {
    const subjectId = this.credentials.subjectForBadge(badgeId) ?? null;
    return subjectId === null
      ? { method: 'badge', decision: 'denied', subjectId: null, reason: 'badge-unknown' }
      : { method: 'badge', decision: 'granted', subjectId, reason: 'badge-ok' };
  }

  /** Take one keypad line; returns a result after the PIN line, undefined after the worker number. */
  keypadLine(line: string): FallbackResult | undefined {
    const pending = this.pendingSubject;
    if (pending === undefined || this.now() - pending.at > PIN_ENTRY_TIMEOUT_MS) {
      this.pendingSubject = { subjectId: line, at: this.now() };
      return undefined;
    }
    this.pendingSubject = undefined;
    const ok = this.credentials.checkPin(pending.subjectId, line);
    return { method: 'pin', decision: ok ? 'granted' : 'denied', subjectId: ok ? pending.subjectId : null, reason: ok ? 'pin-ok' : 'pin-wrong' };
  }
}

/** Build the attendance event of a fallback result for `Daemon.recordEvent`. It has no scores because nothing was matched. */
export function fallbackRecordRequest(result: FallbackResult, pseudonymFor: (subjectId: string) => string, doorActuated: boolean): RecordRequest {
  return {
    decision: result.decision,
    method: result.method,
    subject: result.subjectId === null ? null : pseudonymFor(result.subjectId),
    scores: {},
    doorActuated,
    reason: result.reason,
  };
}
