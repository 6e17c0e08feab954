import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './context.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parse a command's arguments strictly; an unknown or malformed option becomes a UsageError naming the command. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(command, error instanceof Error ? error.message : String(error));
  }
}

export function parseIntegerOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(command, `--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

export function parseNumberOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(command, `--${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}
