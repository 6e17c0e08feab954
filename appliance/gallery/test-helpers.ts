import { FacegateError } from '../common/errors.js';

/**
 * Run `action` and return the FacegateError it throws. Throws a plain Error when it throws
 * nothing, something else, or a FacegateError with another code, so a test fails with the reason.
 */
export function captureFacegateError(action: () => unknown, code: string): FacegateError {
  try {
    action();
  } catch (error) {
    if (!(error instanceof FacegateError)) throw new Error(`expected FacegateError ${code}, got ${String(error)}`, { cause: error });
    if (error.code !== code) throw new Error(`expected FacegateError ${code}, got ${error.code}: ${error.message}`, { cause: error });
    return error;
  }
  throw new Error(`expected FacegateError ${code}, but nothing was thrown`);
}
