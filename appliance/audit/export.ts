import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { describePeriod, type Period } from './period.js';
import { EXPORT_TYPE, type DeviceAuditReader, type ExportHeader } from './source.js';

/**
 * `facegate audit export`: the entries written in a period, as JSON Lines that `audit verify`
 * can check on its own (a header with the chain state before the first entry, the entries in
 * storage order, then the checkpoints inside the range) or as CSV for a spreadsheet.
 */

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportSummary {
  entries: number;
  checkpoints: number;
  fromSeq: number | undefined;
  toSeq: number | undefined;
}

export const CSV_COLUMNS = [
  'seq', 'entryId', 'wallTime', 'clockState', 'clockSource', 'deviceId', 'siteId', 'actorKind', 'actorId', 'action',
  'objectKind', 'objectId', 'outcome', 'reason', 'sourceAddress', 'eventId', 'detail', 'prevHash', 'hash',
] as const;

export async function writeExport(reader: DeviceAuditReader, period: Period, format: ExportFormat, out: Writable, now = Date.now()): Promise<ExportSummary> {
  const range = reader.seqRange(period);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };

  if (format === 'csv') {
    await write(`${CSV_COLUMNS.join(',')}\r\n`);
    let entries = 0;
    if (range !== undefined) {
      for (const entry of reader.entries(range.fromSeq, range.toSeq)) {
        await write(`${csvRow(entry).join(',')}\r\n`);
        entries += 1;
      }
    }
    return { entries, checkpoints: 0, fromSeq: range?.fromSeq, toSeq: range?.toSeq };
  }

  const { deviceId, siteId } = reader.identity();
  const periodText = describePeriod(period);
  const fromSeq = range?.fromSeq ?? 1;
  const header: ExportHeader = {
    type: EXPORT_TYPE,
    v: 1,
    deviceId: deviceId ?? '',
    siteId: siteId ?? '',
    exportedAt: formatMacauTime(now),
    from: period.fromMs === undefined ? null : periodText.from,
    to: period.toMs === undefined ? null : periodText.to,
    anchor: reader.anchorAfter(fromSeq - 1),
  };
  await write(`${JSON.stringify(header)}\n`);
  let entries = 0;
  let checkpoints = 0;
  if (range !== undefined) {
    for (const entry of reader.entries(range.fromSeq, range.toSeq)) {
      await write(`${JSON.stringify({ type: 'entry', entry })}\n`);
      entries += 1;
    }
    for (const checkpoint of reader.checkpoints(Math.max(1, range.fromSeq - 1), range.toSeq)) {
      await write(`${JSON.stringify({ type: 'checkpoint', checkpoint })}\n`);
      checkpoints += 1;
    }
  }
  return { entries, checkpoints, fromSeq: range?.fromSeq, toSeq: range?.toSeq };
}

function csvRow(entry: Record<string, unknown>): string[] {
  const clock = (entry.clock ?? {}) as Record<string, unknown>;
  const actor = (entry.actor ?? {}) as Record<string, unknown>;
  const object = (entry.object ?? {}) as Record<string, unknown>;
  const values: unknown[] = [
    entry.seq, entry.entryId, entry.wallTime, clock.state, clock.source, entry.deviceId, entry.siteId, actor.kind, actor.id, entry.action,
    object.kind, object.id, entry.outcome, entry.reason, entry.sourceAddress, entry.eventId, JSON.stringify(entry.detail ?? {}), entry.prevHash, entry.hash,
  ];
  return values.map(csvField);
}

/**
 * One RFC 4180 field. A text that a spreadsheet would run as a formula (leading =, +, -, @) gets
 * a leading apostrophe, because exports are opened in spreadsheets by people other than their author.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
