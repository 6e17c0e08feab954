import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, errors } from 'jose';
import { z } from 'zod';
import { FacegateError, errorMessage } from '../appliance/common/errors.js';
import { ENVELOPE_TYPES, JWS_ALGORITHM } from './envelope.js';
import { SCHEMA_VERSION, deviceId, eventId, macauTime, siteId } from './fields.js';
import { assertSigningKey, keyId } from './keys.js';
import { isUuidv7 } from './uuidv7.js';
import { parseMacauTime } from './wall-time.js';

/**
 * Remote commands on `facegate/v1/<site>/<device>/cmd/<name>`: a compact JWS (EdDSA over Ed25519,
 * header `kid` = RFC 7638 thumbprint of the operator key, `typ: facegate-command+jwt`) whose payload
 * is the allowlisted JSON object below. Commands are signed but not encrypted, because they carry
 * no personal data beyond a worker id and an operator name, and the broker's ACL already limits who
 * reads them. Like the attendance event, every string is short and patterned, so no image,
 * template or embedding fits into a command.
 */

export const COMMAND_JWS_TYPE = `${ENVELOPE_TYPES.command}+jwt`;

/** Largest serialised payload in bytes; a valid command is well under 1 kB. */
export const MAX_COMMAND_BYTES = 4096;
/** Largest compact token in characters: base64url of the payload plus header and signature. */
export const MAX_COMMAND_TOKEN_CHARS = 8192;
/** Maximum validity of any command (expiresAt − issuedAt); a device may set a lower limit. */
export const MAX_COMMAND_LIFETIME_MS = 24 * 3_600_000;
/** Maximum number of arguments per command. */
export const MAX_COMMAND_ARGUMENTS = 8;

/**
 * Why a device rejected a command, in the order the device checks (docs/commands.md): format,
 * header, key, signature, payload, operator, then the device's own checks.
 */
export const COMMAND_REJECTION_REASONS = [
  'malformed',
  'bad-header',
  'unknown-key',
  'bad-signature',
  'invalid-payload',
  'operator-mismatch',
  'name-mismatch',
  'wrong-device',
  'not-yet-valid',
  'expired',
  'lifetime-too-long',
  'unknown-command',
  'invalid-arguments',
  'replayed',
] as const;

export type CommandRejectionReason = (typeof COMMAND_REJECTION_REASONS)[number];

/** Command name: the last topic level, lower case, e.g. `withdraw-consent`. */
export const commandName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be 1 to 32 characters from a-z 0-9 - starting with a letter');

/** Operator name: the name the device has the operator's public key under. */
export const operatorName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ @ - starting with a letter or digit');

/** At least 128 random bits as base64url. */
const nonce = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'must be 22 to 64 base64url characters');

const argumentKey = z.string().regex(/^[a-z][A-Za-z0-9_-]{0,31}$/, 'argument names are 1 to 32 characters from A-Z a-z 0-9 _ - starting with a lower-case letter');
const argumentValue = z
  .string()
  .min(1, 'argument values may not be empty')
  .max(128, 'argument values are at most 128 characters')
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'argument values may not contain control characters');

/**
 * Arguments object whose own keys exclude `__proto__`. JSON.parse makes `"__proto__"` an own key,
 * and zod 4.6 skips that key in a record without checking it, so the record alone would accept it.
 */
const withoutProtoKey = z.custom<unknown>(
  (value) => typeof value !== 'object' || value === null || !Object.hasOwn(value, '__proto__'),
  'argument names are 1 to 32 characters from A-Z a-z 0-9 _ - starting with a lower-case letter, so "__proto__" is not one',
);

/** Per-command arguments as text; each handler validates its own with a stricter schema. */
export const commandArguments = withoutProtoKey
  .pipe(z.record(argumentKey, argumentValue))
  .refine((args) => Object.keys(args).length <= MAX_COMMAND_ARGUMENTS, `at most ${MAX_COMMAND_ARGUMENTS} arguments`);

export const commandPayload = z
  .strictObject({
    v: z.literal(SCHEMA_VERSION),
    /** UUIDv7; the device runs each id once. */
    commandId: eventId,
    name: commandName,
    /** The one device the command is addressed to. */
    siteId,
    deviceId,
    issuedAt: macauTime,
    expiresAt: macauTime,
    /** Random value; the device runs each nonce once. */
    nonce,
    operator: operatorName,
    args: commandArguments,
  })
  .superRefine((command, ctx) => {
    const issued = typeof command.issuedAt === 'string' ? parseMacauTime(command.issuedAt) : undefined;
    const expires = typeof command.expiresAt === 'string' ? parseMacauTime(command.expiresAt) : undefined;
    if (issued === undefined || expires === undefined) return;
    if (expires <= issued) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after issuedAt' });
    else if (expires - issued > MAX_COMMAND_LIFETIME_MS) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be at most 24 h after issuedAt' });
  });

export type CommandPayload = z.infer<typeof commandPayload>;

/** A failed command check; `reason` is what the device reports in its `rejected` result. */
export class CommandRejectedError extends FacegateError {
  readonly reason: CommandRejectionReason;

  constructor(reason: CommandRejectionReason, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`command.${reason}`, message, { ...options, params: { reason } });
    this.name = 'CommandRejectedError';
    this.reason = reason;
  }
}

/** An operator public key the device trusts, under the operator's name. */
export interface RegisteredOperator {
  name: string;
  publicKey: KeyObject;
}

export type OperatorResolver = (kid: string) => RegisteredOperator | undefined;

export interface VerifiedCommand {
  payload: CommandPayload;
  operator: RegisteredOperator;
  kid: string;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Sign a command with an operator's Ed25519 private key. Throws CommandRejectedError
 * `invalid-payload`, before touching the key, when the payload fails the schema.
 */
export async function signCommand(payload: CommandPayload, operatorKey: KeyObject): Promise<string> {
  const parsed = commandPayload.safeParse(payload);
  if (!parsed.success) throw new CommandRejectedError('invalid-payload', `Invalid command payload: ${describeIssues(parsed.error)}.`);
  const bytes = encoder.encode(JSON.stringify(parsed.data));
  if (bytes.byteLength > MAX_COMMAND_BYTES) {
    throw new CommandRejectedError('invalid-payload', `The command payload is ${bytes.byteLength} bytes, over the ${MAX_COMMAND_BYTES}-byte limit.`);
  }
  assertSigningKey(operatorKey, 'private', 'operator key');
  return new CompactSign(bytes).setProtectedHeader({ alg: JWS_ALGORITHM, kid: keyId(operatorKey), typ: COMMAND_JWS_TYPE }).sign(operatorKey);
}

/**
 * Check a command token in order: compact JWS form and size, protected header, operator key by
 * kid, signature, JSON payload against the schema, and the operator name bound to that key. Every
 * failure is a CommandRejectedError. The caller still checks topic, device, time and replay.
 */
export async function verifyCommand(token: string, resolveOperator: OperatorResolver): Promise<VerifiedCommand> {
  if (token.length > MAX_COMMAND_TOKEN_CHARS) {
    throw new CommandRejectedError('malformed', `The command is ${token.length} characters long, over the ${MAX_COMMAND_TOKEN_CHARS}-character limit.`);
  }
  if (!COMPACT_JWS.test(token)) throw new CommandRejectedError('malformed', 'The command is not a compact JWS (three base64url parts separated by dots).');

  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (error) {
    throw new CommandRejectedError('malformed', `The command header cannot be decoded: ${joseReason(error)}.`, { cause: error });
  }
  if (header.alg !== JWS_ALGORITHM || header.typ !== COMMAND_JWS_TYPE) {
    throw new CommandRejectedError(
      'bad-header',
      `The command has alg ${JSON.stringify(header.alg)} and typ ${JSON.stringify(header.typ)}, expected "${JWS_ALGORITHM}" and "${COMMAND_JWS_TYPE}".`,
    );
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) {
    throw new CommandRejectedError('bad-header', 'The command has no usable kid header, so the operator key cannot be found.');
  }

  const operator = resolveOperator(kid);
  if (operator === undefined) {
    throw new CommandRejectedError('unknown-key', `No operator key is installed under kid ${JSON.stringify(kid)}.`, {
      hint: 'Copy the operator public key into the device folder keys.operatorKeysDir (or list it in keys.operatorKeyFiles) and restart the daemon.',
    });
  }

  let payloadBytes: Uint8Array;
  try {
    payloadBytes = (await compactVerify(token, operator.publicKey, { algorithms: [JWS_ALGORITHM] })).payload;
  } catch (error) {
    throw new CommandRejectedError('bad-signature', `The signature by operator ${operator.name} (kid ${kid}) does not verify: ${joseReason(error)}.`, { cause: error });
  }

  if (payloadBytes.byteLength > MAX_COMMAND_BYTES) {
    throw new CommandRejectedError('invalid-payload', `The command payload is ${payloadBytes.byteLength} bytes, over the ${MAX_COMMAND_BYTES}-byte limit.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payloadBytes));
  } catch (error) {
    throw new CommandRejectedError('invalid-payload', `The command payload is not UTF-8 JSON: ${errorMessage(error)}.`, { cause: error });
  }
  const parsed = commandPayload.safeParse(json);
  if (!parsed.success) throw new CommandRejectedError('invalid-payload', `Invalid command payload: ${describeIssues(parsed.error)}.`);

  if (parsed.data.operator !== operator.name) {
    throw new CommandRejectedError(
      'operator-mismatch',
      `The command names operator ${JSON.stringify(parsed.data.operator)}, but kid ${kid} is the key of operator ${JSON.stringify(operator.name)}.`,
    );
  }
  return { payload: parsed.data, operator, kid };
}

/** Claims readable from a command without trusting it, for the audit entry and result of a rejection. */
export interface CommandClaims {
  kid?: string;
  commandId?: string;
  operator?: string;
}

/**
 * Read the kid, command id and operator name from a token without verifying it. Each value is
 * returned only when it has its valid form, and malformed input gives an empty object.
 */
export function inspectCommand(token: string): CommandClaims {
  const claims: CommandClaims = {};
  if (token.length > MAX_COMMAND_TOKEN_CHARS || !COMPACT_JWS.test(token)) return claims;
  const [headerPart, payloadPart] = token.split('.') as [string, string, string];
  const header = parseBase64Json(headerPart);
  if (typeof header?.kid === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(header.kid)) claims.kid = header.kid;
  const payload = parseBase64Json(payloadPart);
  if (isUuidv7(payload?.commandId)) claims.commandId = payload.commandId;
  if (operatorName.safeParse(payload?.operator).success) claims.operator = payload!.operator as string;
  return claims;
}

function parseBase64Json(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(Buffer.from(part, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** List a schema error's issues as `path: message`, at most five, for an error message. */
export function describeIssues(error: z.ZodError): string {
  const issues = error.issues.map((issue) => {
    // A bad record key is reported as "Invalid key in record"; the nested issue describes what is wrong with it.
    const nested = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    return `${issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')}: ${nested ?? issue.message}`;
  });
  return issues.slice(0, 5).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}

function joseReason(error: unknown): string {
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return errorMessage(error);
}
