import type { AuditDraft, AuditLog } from '../../appliance/audit/log.js';
import type { Logger } from '../../appliance/common/logger.js';
import { LOCKOUT_MS, MAX_FAILED_ATTEMPTS, type SignInResult } from './technicians.js';

/**
 * Audit entries for technician sessions: `technician.sign-in` (success, failure, or denied while
 * locked), `technician.lockout` when failures lock an account, and `technician.sign-out`. A typed
 * user name is recorded only when it names an account, because a password typed into the name
 * field must never reach the log. Passwords themselves never reach this class.
 */
export class KioskAudit {
  constructor(
    private readonly audit: AuditLog,
    private readonly logger: Logger,
  ) {}

  /**
   * Record one sign-in attempt. `attempt` states whether the name belongs to an account and
   * whether it was locked before this attempt, so a lockout that starts now is distinguished from one
   * already running.
   */
  signIn(user: string, result: SignInResult, attempt: { knownUser: boolean; lockedBefore: boolean }, sourceAddress: string | null): void {
    if (result.ok) {
      this.record({ actor: { kind: 'technician', id: user }, action: 'technician.sign-in', outcome: 'success', sourceAddress });
      return;
    }
    const actor = { kind: 'technician' as const, id: attempt.knownUser ? user : null };
    if (attempt.lockedBefore) {
      this.record({ actor, action: 'technician.sign-in', outcome: 'denied', reason: 'account-locked', sourceAddress });
      return;
    }
    this.record({ actor, action: 'technician.sign-in', outcome: 'failure', reason: attempt.knownUser ? 'wrong-password' : 'unknown-user', sourceAddress });
    if (result.reason === 'locked') {
      this.record({
        sourceAddress,
        actor,
        action: 'technician.lockout',
        outcome: 'success',
        reason: 'too-many-failures',
        detail: { failureLimit: MAX_FAILED_ATTEMPTS, lockedForS: LOCKOUT_MS / 1000 },
      });
    }
  }

  signOut(technician: string, reason: 'signed-out' | 'idle-timeout', sourceAddress: string | null): void {
    this.record({ actor: { kind: 'technician', id: technician }, action: 'technician.sign-out', outcome: 'success', reason, sourceAddress });
  }

  private record(draft: AuditDraft): void {
    try {
      this.audit.record(draft);
    } catch (error) {
      this.logger.error({ err: error, action: draft.action }, 'writing the technician audit entry failed');
    }
  }
}
