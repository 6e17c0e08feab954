import { formatMacauTime, parseMacauTime } from '../../protocol/wall-time.js';
import { AUDIT_ACTIONS } from './entry.js';
import { describePeriod, inPeriod, type Period } from './period.js';
import type { VerifyResult } from './verify.js';
import { WithdrawalTally, deletesTemplates, type WithdrawalSummary } from './withdrawals.js';

/**
 * The compliance summary behind `facegate audit report`: what was logged in a period, whether the
 * chain is intact, how much of it carried a synchronised clock, whether every enrolment had
 * consent, and whether withdrawals of consent were honoured and how fast.
 *
 * Consent and enrolment entries name the subject as `object: { kind: 'subject', id }`.
 * `WithdrawalTally` in `withdrawals.ts` states which entries show a withdrawal honoured.
 */

export interface ActionCount {
  action: string;
  total: number;
  success: number;
  failure: number;
  denied: number;
}

export interface AuditReport {
  deviceId: string;
  siteId: string;
  period: { from: string; to: string };
  generatedAt: string;
  entries: number;
  byAction: ActionCount[];
  chain: {
    ok: boolean;
    entries: number;
    firstBadSeq: number | undefined;
    problems: string[];
    checkpointsVerified: number;
    checkpointsTotal: number;
    signaturesChecked: boolean;
    uncheckpointed: number;
  };
  clock: { synced: number; total: number; share: number | null };
  consent: {
    enrolments: number;
    enrolmentsWithConsent: number;
    enrolmentsWithoutConsent: string[];
    enrolledAtEnd: number;
    enrolledWithConsentAtEnd: number;
  };
  withdrawals: WithdrawalSummary;
  security: { signInFailures: number; doorForced: number; doorHeldOpen: number; exitButton: number; commands: number; configChanges: number };
}

interface Fields {
  seq: number;
  ms: number;
  action: string;
  outcome: string;
  clockState: string;
  subject: string | undefined;
  detail: Record<string, unknown>;
}

function fieldsOf(entry: Record<string, unknown>): Fields | undefined {
  const ms = typeof entry.wallTime === 'string' ? parseMacauTime(entry.wallTime) : undefined;
  if (ms === undefined || typeof entry.seq !== 'number') return undefined;
  const object = entry.object as { kind?: unknown; id?: unknown } | null;
  return {
    seq: entry.seq,
    ms,
    action: String(entry.action),
    outcome: String(entry.outcome),
    clockState: String((entry.clock as { state?: unknown } | undefined)?.state),
    subject: object !== null && object?.kind === 'subject' && typeof object.id === 'string' ? object.id : undefined,
    detail: typeof entry.detail === 'object' && entry.detail !== null ? (entry.detail as Record<string, unknown>) : {},
  };
}

/** Build the report from every entry of the log (in chain order) and the verification of the whole log. */
export function buildReport(
  log: { deviceId: string; siteId: string; entries: Iterable<Record<string, unknown>> },
  period: Period,
  verification: VerifyResult,
  now = Date.now(),
): AuditReport {
  const counts = new Map<string, ActionCount>();
  let entries = 0;
  let synced = 0;
  const consented = new Set<string>();
  const enrolled = new Set<string>();
  let enrolments = 0;
  let enrolmentsWithConsent = 0;
  const withoutConsent: string[] = [];
  const withdrawals = new WithdrawalTally();
  const security = { signInFailures: 0, doorForced: 0, doorHeldOpen: 0, exitButton: 0, commands: 0, configChanges: 0 };

  for (const raw of log.entries) {
    const entry = fieldsOf(raw);
    if (entry === undefined) continue;
    if (period.toMs !== undefined && entry.ms >= period.toMs) continue;
    const inside = inPeriod(entry.ms, period);
    const ok = entry.outcome === 'success';
    withdrawals.add(entry, inside);

    // Consent and enrolment state is replayed from the start of the log, so the period's first day includes consent given earlier.
    if (entry.subject !== undefined && ok) {
      switch (entry.action) {
        case 'consent.grant':
          consented.add(entry.subject);
          break;
        case 'consent.withdraw':
          consented.delete(entry.subject);
          if (deletesTemplates(entry)) enrolled.delete(entry.subject);
          break;
        case 'enrolment.add':
          enrolled.add(entry.subject);
          if (inside) {
            enrolments += 1;
            if (consented.has(entry.subject)) enrolmentsWithConsent += 1;
            else withoutConsent.push(entry.subject);
          }
          break;
        case 'enrolment.remove':
        case 'matcher.drop':
          if (deletesTemplates(entry)) enrolled.delete(entry.subject);
          break;
      }
    }
    if (!inside) continue;

    entries += 1;
    if (entry.clockState === 'synced') synced += 1;
    const count = counts.get(entry.action) ?? { action: entry.action, total: 0, success: 0, failure: 0, denied: 0 };
    count.total += 1;
    if (entry.outcome === 'success' || entry.outcome === 'failure' || entry.outcome === 'denied') count[entry.outcome] += 1;
    counts.set(entry.action, count);

    if (entry.action === 'technician.sign-in' && !ok) security.signInFailures += 1;
    if (entry.action === 'door.forced') security.doorForced += 1;
    if (entry.action === 'door.held-open') security.doorHeldOpen += 1;
    if (entry.action === 'door.exit-button') security.exitButton += 1;
    if (entry.action.startsWith('command.')) security.commands += 1;
    if (entry.action === 'config.change') security.configChanges += 1;
  }

  const order = (action: string) => {
    const index = (AUDIT_ACTIONS as readonly string[]).indexOf(action);
    return index < 0 ? AUDIT_ACTIONS.length : index;
  };
  return {
    deviceId: log.deviceId,
    siteId: log.siteId,
    period: describePeriod(period),
    generatedAt: formatMacauTime(now),
    entries,
    byAction: [...counts.values()].sort((a, b) => order(a.action) - order(b.action) || a.action.localeCompare(b.action)),
    chain: {
      ok: verification.ok,
      entries: verification.entries,
      firstBadSeq: verification.firstBadSeq,
      problems: verification.problems.slice(0, 5).map((problem) => problem.message),
      checkpointsVerified: verification.checkpoints.verified,
      checkpointsTotal: verification.checkpoints.total,
      signaturesChecked: verification.signaturesChecked,
      uncheckpointed: verification.uncheckpointed,
    },
    clock: { synced, total: entries, share: entries === 0 ? null : synced / entries },
    consent: {
      enrolments,
      enrolmentsWithConsent,
      enrolmentsWithoutConsent: withoutConsent,
      enrolledAtEnd: enrolled.size,
      enrolledWithConsentAtEnd: [...enrolled].filter((subject) => consented.has(subject)).length,
    },
    withdrawals: withdrawals.summary(),
    security,
  };
}
