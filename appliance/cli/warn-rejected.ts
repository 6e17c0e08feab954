import type { Recognizer } from '../recognition/recognizer.js';
import type { CliContext } from './context.js';

/** Warn the technician, once per corrupt gallery row, that its subject cannot be identified until re-enrolled. */
export function warnRejectedRows(context: CliContext, recognizer: Recognizer): void {
  for (const error of recognizer.rejectedRows) {
    const subject = String(error.params.subject ?? error.params.subjectId ?? '?');
    context.warn('gallery.corrupt-row', { subject, detail: error.code });
  }
}
