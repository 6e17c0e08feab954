import { pino, type Logger } from 'pino';

/** One parsed pino line. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLogs {
  logger: Logger;
  lines(): LogLine[];
  /** Lines at error level (50) or above. */
  errors(): LogLine[];
  /** Lines whose message matches. */
  matching(pattern: RegExp): LogLine[];
}

/** Create a pino logger that keeps every line in memory for assertions; level `debug` unless given. */
export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: LogLine[] = [];
  const logger = pino(
    { level, base: undefined, timestamp: false },
    { write: (text: string) => void lines.push(JSON.parse(text) as LogLine) },
  );
  return {
    logger,
    lines: () => lines,
    errors: () => lines.filter((line) => line.level >= 50),
    matching: (pattern) => lines.filter((line) => pattern.test(line.msg)),
  };
}
