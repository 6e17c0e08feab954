import type { Logger } from '../common/logger.js';
import type { Gallery } from '../gallery/store.js';
import { RosterStore } from '../../provisioning/roster/store.js';

/** Time between purges. Departed workers' templates must go within consent.retentionDays (at least 1 day), so 6 h leaves a wide margin. */
export const PURGE_INTERVAL_MS = 6 * 3_600_000;

export interface RetentionPurgerOptions {
  stateDir: string;
  /** The daemon's open gallery. */
  gallery: Gallery;
  /** Rebuild the matcher after a purge; the daemon passes its `reloadGallery`. */
  reload: () => unknown;
  logger: Logger;
  intervalMs?: number;
}

export interface PurgeResult {
  /** Subjects whose key and templates were deleted because they are no longer on the roster. */
  removed: string[];
  /** True when the roster is empty, so nothing was compared or deleted. */
  skipped: boolean;
}

/**
 * Deletes the templates of workers who left: every gallery subject missing from the roster
 * (`roster.db`, replaced by `provision roster import --replace`) loses its key. An empty roster is
 * taken as "no roster on this device" and purges nothing, so a device enrolled without a roster
 * keeps its gallery. Delivered attendance events are pruned by the outbox itself after
 * `outbox.pruneDeliveredAfterH`.
 */
export class RetentionPurger {
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly options: RetentionPurgerOptions) {
    this.log = options.logger.child({ module: 'retention' });
  }

  start(): void {
    this.runSafely();
    this.timer = setInterval(() => this.runSafely(), this.options.intervalMs ?? PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  purge(): PurgeResult {
    const roster = RosterStore.open({ stateDir: this.options.stateDir, logger: this.options.logger });
    let onRoster: Set<string>;
    try {
      onRoster = new Set(roster.list().map((worker) => worker.workerId));
    } finally {
      roster.close();
    }
    if (onRoster.size === 0) return { removed: [], skipped: true };

    const removed: string[] = [];
    for (const subject of this.options.gallery.listSubjects()) {
      if (onRoster.has(subject.id)) continue;
      this.options.gallery.removeSubject(subject.id);
      removed.push(subject.id);
    }
    if (removed.length > 0) {
      this.options.reload();
      this.log.info({ removed: removed.length }, 'templates of workers no longer on the roster destroyed');
    }
    return { removed, skipped: false };
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private runSafely(): void {
    try {
      this.purge();
    } catch (error) {
      this.log.error({ err: error }, 'retention purge failed; retrying at the next interval');
    }
  }
}
