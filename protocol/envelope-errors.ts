import type { z } from 'zod';
import { FacegateError } from '../appliance/common/errors.js';

/**
 * Kind of envelope failure. A receiver counts and alerts on these per kind:
 * `decryption` and `format` point at corruption or a wrong fleet key, `signature` and
 * `unknown-signer` at a forged or unregistered device, `mismatch` at a device writing as another.
 */
export type EnvelopeErrorKind = 'format' | 'decryption' | 'signature' | 'unknown-signer' | 'schema' | 'mismatch';

export class EnvelopeError extends FacegateError {
  readonly kind: EnvelopeErrorKind;

  constructor(
    kind: EnvelopeErrorKind,
    code: string,
    message: string,
    options: { hint?: string; params?: Record<string, string | number>; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'EnvelopeError';
    this.kind = kind;
  }
}

/** Not a compact JWE/JWS, the wrong `typ`/`cty`/algorithm, or over the size limit. */
export class EnvelopeFormatError extends EnvelopeError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('format', 'ENVELOPE_INVALID_FORMAT', message, options);
    this.name = 'EnvelopeFormatError';
  }
}

/** The JWE did not decrypt: tampered ciphertext or tag, or encrypted to another fleet key. */
export class EnvelopeDecryptionError extends EnvelopeError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('decryption', 'ENVELOPE_DECRYPTION_FAILED', message, options);
    this.name = 'EnvelopeDecryptionError';
  }
}

/** The inner JWS signature does not verify against the key registered for its `kid`. */
export class EnvelopeSignatureError extends EnvelopeError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('signature', 'ENVELOPE_SIGNATURE_INVALID', message, options);
    this.name = 'EnvelopeSignatureError';
  }
}

/** No device key is registered under the JWS `kid`. */
export class UnknownSignerError extends EnvelopeError {
  readonly kid: string;

  constructor(kid: string) {
    super('unknown-signer', 'ENVELOPE_UNKNOWN_SIGNER', `No device key is registered under kid ${JSON.stringify(kid)}.`, {
      hint: 'Register the device public key with the fleet (its kid is the RFC 7638 thumbprint), or check that the device uses its provisioned key.',
      params: { kid },
    });
    this.name = 'UnknownSignerError';
    this.kid = kid;
  }
}

/** The payload is not valid JSON or fails the wire schema; `issues` lists each failing field. */
export class EnvelopeSchemaError extends EnvelopeError {
  readonly issues: readonly string[];

  constructor(what: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    const shown = issues.slice(0, 5).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
    super('schema', 'ENVELOPE_SCHEMA_INVALID', `Invalid ${what}: ${shown}.`, {
      hint: 'Only the fields of the wire schema are allowed, each within its type and length limits.',
      ...options,
    });
    this.name = 'EnvelopeSchemaError';
    this.issues = issues;
  }

  static fromZod(what: string, error: z.ZodError): EnvelopeSchemaError {
    return new EnvelopeSchemaError(what, error.issues.map(describeIssue), { cause: error });
  }
}

/** The signer, the payload and the topic disagree about which device or site this is. */
export class EnvelopeMismatchError extends EnvelopeError {
  constructor(message: string, options: { hint?: string; params?: Record<string, string | number> } = {}) {
    super('mismatch', 'ENVELOPE_DEVICE_MISMATCH', message, options);
    this.name = 'EnvelopeMismatchError';
  }
}

function describeIssue(issue: z.ZodError['issues'][number]): string {
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}
