import { execFile } from 'node:child_process';

import { provisionError } from '../i18n/errors.js';

export interface OpensslResult {
  stdout: string;
  stderr: string;
}

export interface OpensslOptions {
  /** Executable; `OPENSSL` from the environment, else `openssl` from PATH. */
  command?: string;
  timeoutMs?: number;
}

/**
 * Run the `openssl` command line tool (OpenSSL 3) with arguments only, never through a shell.
 * Private keys are passed by file name, so neither the arguments nor the output ever contain one.
 * A failure raises `provision.openssl_failed` with the subcommand and the last stderr line.
 */
export function openssl(args: readonly string[], options: OpensslOptions = {}): Promise<OpensslResult> {
  const command = options.command ?? process.env.OPENSSL ?? 'openssl';
  return new Promise((resolve, reject) => {
    // Standard input is closed at once, so openssl fails instead of waiting for a passphrase.
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 1 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ stdout, stderr });
        return;
      }
      const errno = (error as NodeJS.ErrnoException).code;
      if (errno === 'ENOENT') {
        reject(provisionError('provision.openssl_missing', { command }, error));
        return;
      }
      const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^-+$/.test(line));
      const detail = lines.slice(0, 2).join(' / ') || error.message;
      reject(provisionError('provision.openssl_failed', { step: args[0] ?? '', detail }, error));
    });
    child.stdin?.end();
  });
}
