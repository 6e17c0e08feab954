import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

import { provisionError } from '../i18n/errors.js';

/** Asks the technician one question at a time. */
export interface Prompter {
  /** Print `question` and resolve with the answer line, trimmed; rejects with `provision.answer_missing` when input ends. */
  ask(question: string): Promise<string>;
  close(): void;
}

/**
 * Build a prompter on a terminal (or any line stream). Lines are buffered, so answers typed ahead or
 * piped in are kept in order; when the input ends, the pending and later questions reject.
 */
export function streamPrompter(input: Readable, output: Writable): Prompter {
  let reader: Interface | undefined;
  const lines: string[] = [];
  let ended = false;
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void; question: string } | undefined;

  const open = (): Interface => {
    if (reader !== undefined) return reader;
    reader = createInterface({ input, terminal: false });
    reader.on('line', (line) => {
      if (waiting === undefined) {
        lines.push(line);
        return;
      }
      const current = waiting;
      waiting = undefined;
      current.resolve(line.trim());
    });
    reader.on('close', () => {
      ended = true;
      if (waiting === undefined) return;
      const current = waiting;
      waiting = undefined;
      current.reject(provisionError('provision.answer_missing', { question: current.question }));
    });
    return reader;
  };

  return {
    ask(question) {
      open();
      output.write(`${question} `);
      const buffered = lines.shift();
      if (buffered !== undefined) return Promise.resolve(buffered.trim());
      if (ended) return Promise.reject(provisionError('provision.answer_missing', { question }));
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject, question };
      });
    },
    close() {
      reader?.close();
      reader = undefined;
    },
  };
}
