/**
 * Wall and monotonic time as they appear on the wire. Wall time is RFC 3339 in Macau time
 * (UTC+08:00, no daylight saving since 1979), so a payroll export reads the local clock directly.
 */

const MACAU_OFFSET_MS = 8 * 60 * 60 * 1000;

/** RFC 3339 with a `+08:00` offset and 0 to 6 fractional digits. */
export const MACAU_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?\+08:00$/;

/** Format an instant as `2026-12-04T20:16:19.123+08:00`. */
export function formatMacauTime(instant: Date | number = Date.now()): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`Cannot format invalid time value ${String(instant)}.`);

  const local = new Date(ms + MACAU_OFFSET_MS);
  const year = local.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`Year ${year} is outside the RFC 3339 range 0000-9999.`);

  return (
    `${pad(year, 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}` +
    `T${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}` +
    `.${pad(local.getUTCMilliseconds(), 3)}+08:00`
  );
}

/** Parse a `+08:00` RFC 3339 time back to Unix milliseconds, or return undefined if it is malformed or names no real date. */
export function parseMacauTime(text: string): number | undefined {
  const match = MACAU_TIME_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction] = match.map((part) => part ?? '');
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = fields;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;

  // setUTCFullYear, unlike Date.UTC, keeps years below 100 as they are.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  // The Date object rolls 31 February over into March; reject such dates instead.
  if (date.getUTCDate() !== d) return undefined;
  const utc = date.getTime();
  const millis = fraction === '' ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  return utc + millis - MACAU_OFFSET_MS;
}

export function isMacauTime(text: string): boolean {
  return parseMacauTime(text) !== undefined;
}

/** Milliseconds on the process's monotonic clock (`process.hrtime`), unaffected by wall-clock steps. */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
