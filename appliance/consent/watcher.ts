import type { Logger } from '../common/logger.js';
import type { Gallery } from '../gallery/store.js';
import { CONSENT_PURPOSE } from './forms.js';
import { ConsentStore } from './store.js';

export interface WithdrawalWatcherOptions {
  stateDir: string;
  /** The daemon's open gallery. */
  gallery: Gallery;
  /** Rebuild the matcher from the gallery; the daemon passes its `reloadGallery`. */
  reload: () => unknown;
  /** Time between checks of the withdrawal queue. */
  intervalMs: number;
  logger: Logger;
}

/**
 * Drops withdrawn workers from the running daemon. Withdrawal (CLI, kiosk or remote command) deletes
 * the worker's key in `gallery.db`, but the matcher still keeps the decrypted templates in memory
 * until it is rebuilt; this watcher polls the withdrawal queue in `consent.db` and rebuilds it.
 * It also finishes a withdrawal whose process stopped before deleting the key.
 */
export class WithdrawalWatcher {
  private readonly log: Logger;
  private store: ConsentStore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSeq = 0;

  constructor(private readonly options: WithdrawalWatcherOptions) {
    this.log = options.logger.child({ module: 'consent-watcher' });
  }

  /** Open the consent store, apply every queued withdrawal once, then check every `intervalMs`. */
  start(): void {
    this.store = ConsentStore.open({ stateDir: this.options.stateDir, logger: this.options.logger });
    this.check();
    this.timer = setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Apply withdrawals queued since the last check; returns the number of workers dropped. */
  check(): number {
    const store = this.store;
    if (store === undefined) return 0;
    try {
      const pending = store.withdrawalsAfter(this.lastSeq);
      if (pending.length === 0) return 0;
      const inForce = store.activeSubjects(CONSENT_PURPOSE);
      let shredded = 0;
      for (const withdrawal of pending) {
        // A worker who consented again after this withdrawal keeps the new templates.
        if (inForce.has(withdrawal.subjectId) || !this.options.gallery.hasSubject(withdrawal.subjectId)) continue;
        this.options.gallery.removeSubject(withdrawal.subjectId);
        shredded += 1;
      }
      this.lastSeq = pending.at(-1)!.seq;
      this.options.reload();
      this.log.info({ withdrawals: pending.length, keysDeletedHere: shredded }, 'withdrawn workers dropped from the matcher');
      return pending.length;
    } catch (error) {
      // The next check retries from the same queue position.
      this.log.error({ err: error, afterSeq: this.lastSeq }, 'applying consent withdrawals failed');
      return 0;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.store?.close();
    this.store = undefined;
  }
}
