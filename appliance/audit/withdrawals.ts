import { parseMacauTime } from '../../protocol/wall-time.js';

/**
 * Whether each withdrawal of consent in a report's period was honoured, and how fast, replayed from
 * the audit entries in chain order.
 *
 * A withdrawal (`consent.withdraw`, success) is honoured once the subject's templates are destroyed:
 * - at the withdrawal itself when its detail has a numeric `templatesDestroyed` and no
 *   `templatesRemaining` above 0 (`ConsentService.withdraw` deletes the key before writing it),
 *   and with nothing to destroy when `templatesDestroyed` is 0;
 * - otherwise at the first later `enrolment.remove` of the subject, or `matcher.drop` with
 *   `keyDeleted: true` (the daemon's withdrawal watcher finishing the deletion).
 *
 * The running gate has stopped matching the subject by the first later of these entries:
 * - `matcher.drop` of the subject;
 * - a successful `command.withdraw-consent` naming it, because its handler rebuilds the matcher
 *   before the entry is written;
 * - `service.start` after the templates were destroyed, because the daemon builds its matcher from
 *   the gallery at start.
 *
 * Each is written after the drop, so the delay it gives is an upper bound.
 */

export interface WithdrawalSummary {
  total: number;
  honoured: number;
  /** Honoured withdrawals of subjects that had no templates, so nothing was destroyed. */
  withoutTemplates: number;
  /** Subjects whose templates have no record of being destroyed. */
  pending: string[];
  /** Time from withdrawal to templates destroyed, over honoured withdrawals that had templates. */
  medianDelayMs: number | null;
  maxDelayMs: number | null;
  matcher: {
    /** Withdrawals with templates whose drop from the running matcher is recorded. */
    dropped: number;
    /** Subjects honoured with templates but with no recorded drop from a running matcher. */
    notRecorded: string[];
    /** Time from withdrawal to the matcher drop. */
    medianDelayMs: number | null;
    maxDelayMs: number | null;
  };
}

interface Withdrawal {
  subject: string;
  withdrawnMs: number;
  destroyedMs: number | undefined;
  hadTemplates: boolean;
  droppedMs: number | undefined;
}

/** The entry fields the tally reads; `subject` is the id of an `object` of kind `subject`. */
export interface TallyEntry {
  ms: number;
  action: string;
  outcome: string;
  subject: string | undefined;
  detail: Record<string, unknown>;
}

export class WithdrawalTally {
  private readonly withdrawals: Withdrawal[] = [];

  /** Feed every entry up to the end of the period in chain order; `inside` marks entries in the period. */
  add(entry: TallyEntry, inside: boolean): void {
    if (entry.outcome !== 'success') return;
    switch (entry.action) {
      case 'consent.withdraw':
        if (inside && entry.subject !== undefined) this.withdrawals.push(withdrawalFrom(entry, entry.subject));
        break;
      case 'enrolment.remove':
        this.destroyed(entry.subject, entry.ms);
        break;
      case 'matcher.drop': {
        // A drop recorded late (the watcher's first check runs before the audit log opens) carries its real time.
        const droppedAt = typeof entry.detail.droppedAt === 'string' ? parseMacauTime(entry.detail.droppedAt) : undefined;
        const ms = droppedAt !== undefined && droppedAt <= entry.ms ? droppedAt : entry.ms;
        if (deletesTemplates(entry)) this.destroyed(entry.subject, ms);
        this.dropped(entry.subject, ms);
        break;
      }
      case 'command.withdraw-consent':
        if (typeof entry.detail.subject === 'string' && typeof entry.detail.matcherSubjects === 'number') this.dropped(entry.detail.subject, entry.ms);
        break;
      case 'service.start':
        for (const withdrawal of this.withdrawals) {
          if (withdrawal.destroyedMs !== undefined && withdrawal.droppedMs === undefined) withdrawal.droppedMs = entry.ms;
        }
        break;
    }
  }

  summary(): WithdrawalSummary {
    const honoured = this.withdrawals.filter((withdrawal) => withdrawal.destroyedMs !== undefined);
    const withTemplates = honoured.filter((withdrawal) => withdrawal.hadTemplates);
    const dropped = withTemplates.filter((withdrawal) => withdrawal.droppedMs !== undefined);
    const destroyDelays = withTemplates.map((withdrawal) => withdrawal.destroyedMs! - withdrawal.withdrawnMs);
    const dropDelays = dropped.map((withdrawal) => withdrawal.droppedMs! - withdrawal.withdrawnMs);
    const subjects = (list: Withdrawal[]) => [...new Set(list.map((withdrawal) => withdrawal.subject))];
    return {
      total: this.withdrawals.length,
      honoured: honoured.length,
      withoutTemplates: honoured.length - withTemplates.length,
      pending: subjects(this.withdrawals.filter((withdrawal) => withdrawal.destroyedMs === undefined)),
      medianDelayMs: median(destroyDelays),
      maxDelayMs: max(destroyDelays),
      matcher: {
        dropped: dropped.length,
        notRecorded: subjects(withTemplates.filter((withdrawal) => withdrawal.droppedMs === undefined)),
        medianDelayMs: median(dropDelays),
        maxDelayMs: max(dropDelays),
      },
    };
  }

  private destroyed(subject: string | undefined, ms: number): void {
    for (const withdrawal of this.withdrawals) {
      if (withdrawal.subject === subject && withdrawal.destroyedMs === undefined) withdrawal.destroyedMs = ms;
    }
  }

  private dropped(subject: string | undefined, ms: number): void {
    for (const withdrawal of this.withdrawals) {
      if (withdrawal.subject === subject && withdrawal.droppedMs === undefined) withdrawal.droppedMs = Math.max(ms, withdrawal.withdrawnMs);
    }
  }
}

/** Return whether a successful entry shows the subject's key and templates deleted at its time. */
export function deletesTemplates(entry: Pick<TallyEntry, 'action' | 'detail'>): boolean {
  switch (entry.action) {
    case 'enrolment.remove':
      return true;
    case 'matcher.drop':
      return entry.detail.keyDeleted === true;
    case 'consent.withdraw': {
      const remaining = entry.detail.templatesRemaining;
      // Without a count (an entry from another writer), only a later removal shows the templates destroyed.
      return typeof entry.detail.templatesDestroyed === 'number' && !(typeof remaining === 'number' && remaining > 0);
    }
    default:
      return false;
  }
}

function withdrawalFrom(entry: TallyEntry, subject: string): Withdrawal {
  const destroyedHere = deletesTemplates(entry);
  return {
    subject,
    withdrawnMs: entry.ms,
    destroyedMs: destroyedHere ? entry.ms : undefined,
    hadTemplates: !(destroyedHere && entry.detail.templatesDestroyed === 0),
    droppedMs: undefined,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function max(values: number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}
