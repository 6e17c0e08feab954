import { FacegateError } from '../common/errors.js';
import { formatMacauTime, parseMacauTime } from '../../protocol/wall-time.js';

/** A time range [fromMs, toMs) in Unix milliseconds; either end may be open. */
export interface Period {
  fromMs: number | undefined;
  toMs: number | undefined;
}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Parse `--from` and `--to`. A date (`2026-12-01`) is a whole day in Macau time, so `--to` with a
 * date includes that day; a full RFC 3339 time with any offset is taken as given, `--to` exclusive.
 */
export function parsePeriod(from: string | undefined, to: string | undefined): Period {
  const fromMs = from === undefined ? undefined : parseBound(from, 'from', false);
  const toMs = to === undefined ? undefined : parseBound(to, 'to', true);
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) {
    throw new FacegateError('audit.bad_period', `The period is empty: --to ${to} is not after --from ${from}.`, {
      hint: 'Give --to later than --from; a date in --to includes that whole day.',
      params: { from: String(from), to: String(to) },
    });
  }
  return { fromMs, toMs };
}

function parseBound(text: string, option: 'from' | 'to', endOfDay: boolean): number {
  if (DATE_ONLY.test(text)) {
    const start = parseMacauTime(`${text}T00:00:00+08:00`);
    if (start !== undefined) return endOfDay ? start + DAY_MS : start;
  } else {
    const ms = parseMacauTime(text) ?? (/[zZ]|[+-]\d{2}:\d{2}$/.test(text) ? Date.parse(text) : Number.NaN);
    if (Number.isFinite(ms)) return ms;
  }
  throw new FacegateError('audit.bad_time', `--${option} ${JSON.stringify(text)} is not a date or an RFC 3339 time.`, {
    hint: 'Use a date such as 2026-12-01 (Macau time) or a time such as 2026-12-01T08:00:00+08:00.',
    params: { option, value: text },
  });
}

export function describePeriod(period: Period): { from: string; to: string } {
  return {
    from: period.fromMs === undefined ? '…' : formatMacauTime(period.fromMs),
    to: period.toMs === undefined ? '…' : formatMacauTime(period.toMs),
  };
}

export function inPeriod(ms: number, period: Period): boolean {
  return (period.fromMs === undefined || ms >= period.fromMs) && (period.toMs === undefined || ms < period.toMs);
}
