/**
 * An error meant for the person at the terminal: `code` is stable and machine-readable,
 * `hint` says what to do next, and `params` fills the localised message of the same code.
 */
export class FacegateError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly params: Record<string, string | number>;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; params?: Record<string, string | number>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FacegateError';
    this.code = code;
    this.hint = options.hint;
    this.params = options.params ?? {};
  }
}

export function isFacegateError(error: unknown): error is FacegateError {
  return error instanceof FacegateError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
