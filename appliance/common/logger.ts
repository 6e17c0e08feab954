import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

// Paths whose values must never reach a log line, wherever they are nested.
const REDACTED_PATHS = [
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'key',
  '*.key',
  'pin',
  '*.pin',
  'embedding',
  '*.embedding',
];

export interface LoggerSettings {
  level?: string;
  name?: string;
  /** File descriptor or path for the JSON lines; standard error by default so standard output stays for command results. */
  destination?: number | string;
}

/** Create the process logger: JSON lines, errors serialised as type, message and stack, secrets redacted. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: settings.name ?? 'facegate',
    level: settings.level ?? process.env.FACEGATE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid },
  };
  return pino(options, pino.destination({ dest: settings.destination ?? 2, sync: true }));
}

/** A logger that drops everything, for library calls made without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
