import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import type { Locale } from '../appliance/i18n/locale.js';
import { captureLogs, type CapturedLogs } from '../test/support/logs.js';
import type { ProvisionIo } from './cli/io.js';
import type { Prompter } from './cli/prompt.js';
import { provisionError } from './i18n/errors.js';
import { openssl } from './pki/openssl.js';
import { siteCaPaths } from './pki/site-ca.js';

// Helpers for the provisioning tests.

/** Create a fresh folder under the system temporary folder; remove it with `fs.rmSync(dir, { recursive: true })`. */
export function tempDir(prefix = 'facegate-provision-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Sign a CSR with the site CA for an explicit validity window, which `provision sign` never does:
 * it makes expired and not-yet-valid device certificates for the rejection tests. Dates are
 * `YYYYMMDDHHMMSSZ` (UTC).
 */
export async function signWithDates(caDir: string, csrFile: string, out: string, startDate: string, endDate: string): Promise<void> {
  const ca = siteCaPaths(caDir);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-openssl-ca-'));
  try {
    fs.writeFileSync(path.join(work, 'index.txt'), '');
    fs.writeFileSync(path.join(work, 'serial'), '1000\n');
    const config = [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${path.join(work, 'index.txt')}`,
      `new_certs_dir = ${work}`,
      `serial = ${path.join(work, 'serial')}`,
      `certificate = ${ca.cert}`,
      `private_key = ${ca.key}`,
      'default_md = sha256',
      'policy = any',
      'copy_extensions = none',
      'x509_extensions = device',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      'organizationName = optional',
      'organizationalUnitName = optional',
      '[device]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = clientAuth',
    ].join('\n');
    fs.writeFileSync(path.join(work, 'ca.cnf'), `${config}\n`);
    await openssl(['ca', '-batch', '-config', path.join(work, 'ca.cnf'), '-in', csrFile, '-out', out, '-notext', '-startdate', startDate, '-enddate', endDate]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Output streams and logger that record what a subcommand prints, for tests. */
export interface CapturedIo extends ProvisionIo {
  out(): string;
  err(): string;
  logs: CapturedLogs;
}

export function captureIo(options: { locale?: Locale; prompter?: Prompter; now?: () => Date; onOutput?: (text: string) => void } = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        into.push(chunk.toString());
        options.onOutput?.(chunk.toString());
        callback();
      },
    });
  const logs = captureLogs();
  return {
    locale: options.locale ?? 'en',
    logger: logs.logger,
    stdout: sink(stdout),
    stderr: sink(stderr),
    prompter: options.prompter,
    now: options.now ?? (() => new Date()),
    out: () => stdout.join(''),
    err: () => stderr.join(''),
    logs,
  };
}

/** Build a prompter that answers from a list; `onAsk` gets each question first, for example to press a simulated button. */
export function scriptedPrompter(answers: readonly string[], onAsk?: (question: string) => void): Prompter & { questions: string[] } {
  const queue = [...answers];
  const questions: string[] = [];
  return {
    questions,
    async ask(question) {
      questions.push(question);
      onAsk?.(question);
      const answer = queue.shift();
      if (answer === undefined) throw provisionError('provision.answer_missing', { question });
      return answer;
    },
    close: () => undefined,
  };
}
