import type { AuditLog } from '../audit/log.js';
import type { Logger } from '../common/logger.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import type { Gallery } from '../gallery/store.js';
import { CONSENT_PURPOSE } from './forms.js';
import { ConsentStore, type PendingWithdrawal } from './store.js';

export interface WithdrawalWatcherOptions {
  stateDir: string;
  /** The daemon's open gallery. */
  gallery: Gallery;
  /** Rebuild the matcher from the gallery; the daemon passes its `reloadGallery`. */
  reload: () => unknown;
  /** Time between checks of the withdrawal queue. */
  intervalMs: number;
  logger: Logger;
  /**
   * The daemon's audit log, or undefined until it is open. The watcher records one `matcher.drop`
   * entry per withdrawal it applies to the running matcher. Without this option, drops are only logged.
   */
  audit?: () => Pick<AuditLog, 'record'> | undefined;
}

/**
 * Drops withdrawn workers from the running daemon. Withdrawal (CLI, kiosk or remote command) deletes
 * the worker's key in `gallery.db`, but the matcher still keeps the decrypted templates in memory
 * until it is rebuilt; this watcher polls the withdrawal queue in `consent.db` and rebuilds it.
 * It also finishes a withdrawal whose process stopped before deleting the key.
 *
 * Each withdrawal applied after start gets a `matcher.drop` audit entry once the reload returns,
 * so the audit report can state how long the gate kept matching a withdrawn worker. The check in
 * `start()` runs before the daemon's frame loop has compared any face, so it records an entry
 * only where it had to delete a leftover key.
 */
export class WithdrawalWatcher {
  private readonly log: Logger;
  private store: ConsentStore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSeq = 0;
  /** Drops applied before the audit log was open, recorded by the first check that finds it open. */
  private unrecorded: Array<{ withdrawal: PendingWithdrawal; deleted: number | undefined; droppedAt: Date }> = [];

  constructor(private readonly options: WithdrawalWatcherOptions) {
    this.log = options.logger.child({ module: 'consent-watcher' });
  }

  /** Open the consent store, apply every queued withdrawal once, then check every `intervalMs`. */
  start(): void {
    this.store = ConsentStore.open({ stateDir: this.options.stateDir, logger: this.options.logger });
    this.check({ startup: true });
    this.timer = setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Apply withdrawals queued since the last check; returns the number of workers dropped. */
  check(options: { startup?: boolean } = {}): number {
    const store = this.store;
    if (store === undefined) return 0;
    this.recordDeferred();
    try {
      const pending = store.withdrawalsAfter(this.lastSeq);
      if (pending.length === 0) return 0;
      const inForce = store.activeSubjects(CONSENT_PURPOSE);
      const templatesDeleted = new Map<number, number>();
      for (const withdrawal of pending) {
        // A worker who consented again after this withdrawal keeps the new templates.
        if (inForce.has(withdrawal.subjectId) || !this.options.gallery.hasSubject(withdrawal.subjectId)) continue;
        templatesDeleted.set(withdrawal.seq, this.options.gallery.removeSubject(withdrawal.subjectId).templates);
      }
      this.lastSeq = pending.at(-1)!.seq;
      this.options.reload();
      this.log.info({ withdrawals: pending.length, keysDeletedHere: templatesDeleted.size }, 'withdrawn workers dropped from the matcher');
      for (const withdrawal of pending) {
        const deleted = templatesDeleted.get(withdrawal.seq);
        if (options.startup === true && deleted === undefined) continue;
        this.recordDrop(withdrawal, deleted);
      }
      return pending.length;
    } catch (error) {
      // The next check retries from the same queue position.
      this.log.error({ err: error, afterSeq: this.lastSeq }, 'applying consent withdrawals failed');
      return 0;
    }
  }

  /**
   * Record the `matcher.drop` entry of one applied withdrawal. `deleted` is the template count when
   * this watcher deleted the key. Without an open audit log the drop waits for a later check, and
   * its entry then carries the real `droppedAt`.
   */
  private recordDrop(withdrawal: PendingWithdrawal, deleted: number | undefined, droppedAt?: Date): void {
    const audit = this.options.audit?.();
    const fields = { consent: withdrawal.consentId, withdrawalSeq: withdrawal.seq };
    if (audit === undefined) {
      if (this.options.audit === undefined) {
        this.log.warn(fields, 'no audit log given; the matcher drop of a withdrawn worker is not recorded');
      } else {
        this.unrecorded.push({ withdrawal, deleted, droppedAt: droppedAt ?? new Date() });
      }
      return;
    }
    try {
      audit.record({
        actor: { kind: 'system', id: null },
        action: 'matcher.drop',
        object: { kind: 'subject', id: withdrawal.subjectId },
        outcome: 'success',
        reason: 'consent-withdrawn',
        detail: {
          consentId: withdrawal.consentId,
          withdrawalSeq: withdrawal.seq,
          keyDeleted: deleted !== undefined,
          ...(deleted === undefined ? {} : { templatesDestroyed: deleted }),
          ...(droppedAt === undefined ? {} : { droppedAt: formatMacauTime(droppedAt) }),
        },
      });
    } catch (error) {
      // The matcher has already dropped the worker; only the evidence is missing, so the check goes on.
      this.log.error({ err: error, ...fields }, 'recording the matcher drop of a withdrawn worker failed');
    }
  }

  private recordDeferred(): void {
    if (this.unrecorded.length === 0 || this.options.audit?.() === undefined) return;
    const deferred = this.unrecorded;
    this.unrecorded = [];
    for (const drop of deferred) this.recordDrop(drop.withdrawal, drop.deleted, drop.droppedAt);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.store?.close();
    this.store = undefined;
    if (this.unrecorded.length > 0) this.log.warn({ drops: this.unrecorded.length }, 'stopped before the audit log opened; matcher drops not recorded');
    this.unrecorded = [];
  }
}
