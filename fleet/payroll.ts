import { csvField } from '../appliance/audit/export.js';
import { formatMacauTime } from '../protocol/wall-time.js';
import type { AttendanceRow } from './store.js';

/** Payroll export: one row per subject and day with the first clock-in and the last clock-out. */

export const PAYROLL_COLUMNS = ['date', 'subject', 'first_in', 'last_out', 'worked_minutes', 'clock_ins'] as const;

export function payrollCsv(rows: readonly AttendanceRow[]): string {
  const lines = [PAYROLL_COLUMNS.join(',')];
  for (const row of rows) {
    const worked = row.firstInMs !== null && row.lastOutMs !== null && row.lastOutMs > row.firstInMs ? Math.floor((row.lastOutMs - row.firstInMs) / 60_000) : null;
    lines.push(
      [row.day, row.subject, row.firstInMs === null ? null : formatMacauTime(row.firstInMs), row.lastOutMs === null ? null : formatMacauTime(row.lastOutMs), worked, row.clockIns]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Check a `YYYY-MM-DD` day parameter; returns undefined when it is not one. */
export function parseDay(value: string | null, fallback: string): string | undefined {
  if (value === null || value === '') return fallback;
  return DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : undefined;
}
