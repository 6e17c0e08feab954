import { errorMessage } from '../common/errors.js';
import {
  CommandRejectedError,
  MAX_COMMAND_TOKEN_CHARS,
  inspectCommand,
  verifyCommand,
  type CommandPayload,
  type CommandRejectionReason,
  type OperatorResolver,
} from '../../protocol/command.js';
import { parseTopic } from '../../protocol/topics.js';
import { parseMacauTime } from '../../protocol/wall-time.js';
import type { CommandHandler, CommandRegistry } from './registry.js';

/**
 * The device's checks of one command message, after the signature checks in protocol/command.ts.
 * The topic must be this device's `cmd/<name>` and name the command in the payload. The payload
 * must be addressed to this site and device, and the time must lie between issue − skew and
 * expiry + skew. The lifetime must be within the device's limit, the name must have a handler and
 * the arguments must fit its schema. The replay check comes last, in the receiver, because it
 * writes to the ledger.
 */

export interface CheckSettings {
  siteId: string;
  deviceId: string;
  operators: OperatorResolver;
  handlers: CommandRegistry;
  /** Allowed difference between the operator's clock and this device's, in milliseconds. */
  skewMs: number;
  /** Maximum expiresAt − issuedAt this device accepts, in milliseconds. */
  maxLifetimeMs: number;
}

export interface AcceptedCommand {
  accepted: true;
  payload: CommandPayload;
  operator: string;
  kid: string;
  handler: CommandHandler;
  args: unknown;
  expiresAtMs: number;
}

export interface RejectedCommand {
  accepted: false;
  reason: CommandRejectionReason;
  message: string;
  /** Command name from the topic, when the topic is this device's `cmd/<name>`. */
  name: string | undefined;
  /** Command id: verified, or read without trust from a command that failed its checks. */
  commandId: string | undefined;
  /** Operator whose key verified the signature, when it did. */
  operator: string | undefined;
  /** Operator name the command claims, when its signature did not verify. */
  claimedOperator: string | undefined;
  kid: string | undefined;
  handler: CommandHandler | undefined;
}

export type CheckedCommand = AcceptedCommand | RejectedCommand;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Largest command message read, in bytes: the largest token plus room for the white space around it, which is trimmed. */
export const MAX_COMMAND_MESSAGE_BYTES = MAX_COMMAND_TOKEN_CHARS + 1024;

export async function checkCommand(topic: string, message: Buffer, nowMs: number, settings: CheckSettings): Promise<CheckedCommand> {
  const parts = parseTopic(topic);
  const name = parts?.channel === 'cmd' && parts.siteId === settings.siteId && parts.deviceId === settings.deviceId ? parts.command : undefined;

  // An oversized message is neither decoded nor inspected, so its size costs nothing beyond the MQTT read.
  const oversized = message.length > MAX_COMMAND_MESSAGE_BYTES;
  let token: string | undefined;
  let decodeError: unknown;
  try {
    if (!oversized) token = decoder.decode(message).trim();
  } catch (error) {
    decodeError = error;
  }
  const claims = token === undefined ? {} : inspectCommand(token);

  function reject(reason: CommandRejectionReason, text: string, verified?: { payload: CommandPayload; operator: string; kid: string }): RejectedCommand {
    return {
      accepted: false,
      reason,
      message: text,
      name,
      commandId: verified?.payload.commandId ?? claims.commandId,
      operator: verified?.operator,
      claimedOperator: verified === undefined ? claims.operator : undefined,
      kid: verified?.kid ?? claims.kid,
      handler: name === undefined ? undefined : settings.handlers.get(name),
    };
  }

  if (name === undefined) return reject('malformed', `Topic ${JSON.stringify(topic)} is not facegate/v1/${settings.siteId}/${settings.deviceId}/cmd/<name>.`);
  if (oversized) return reject('malformed', `The command message is over the ${MAX_COMMAND_MESSAGE_BYTES}-byte limit.`);
  if (token === undefined) return reject('malformed', `The command is not UTF-8 text: ${errorMessage(decodeError)}.`);

  let verifiedCommand;
  try {
    verifiedCommand = await verifyCommand(token, settings.operators);
  } catch (error) {
    if (error instanceof CommandRejectedError) return reject(error.reason, error.message);
    throw error;
  }
  const { payload, kid } = verifiedCommand;
  const verified = { payload, operator: verifiedCommand.operator.name, kid };

  if (payload.name !== name) {
    return reject('name-mismatch', `The command names ${JSON.stringify(payload.name)} but arrived on cmd/${name}.`, verified);
  }
  if (payload.siteId !== settings.siteId || payload.deviceId !== settings.deviceId) {
    return reject('wrong-device', `The command is addressed to ${payload.siteId}/${payload.deviceId}, not to this device ${settings.siteId}/${settings.deviceId}.`, verified);
  }

  // The schema has checked both times, so they parse.
  const issuedAtMs = parseMacauTime(payload.issuedAt)!;
  const expiresAtMs = parseMacauTime(payload.expiresAt)!;
  if (issuedAtMs > nowMs + settings.skewMs) {
    return reject('not-yet-valid', `The command was issued at ${payload.issuedAt}, more than ${settings.skewMs / 1000} s ahead of this device's clock.`, verified);
  }
  if (expiresAtMs + settings.skewMs < nowMs) {
    return reject('expired', `The command expired at ${payload.expiresAt}.`, verified);
  }
  if (expiresAtMs - issuedAtMs > settings.maxLifetimeMs) {
    return reject('lifetime-too-long', `The command is valid for ${Math.round((expiresAtMs - issuedAtMs) / 1000)} s; this device accepts at most ${settings.maxLifetimeMs / 1000} s.`, verified);
  }

  const handler = settings.handlers.get(name);
  if (handler === undefined) {
    return reject('unknown-command', `This device has no command ${JSON.stringify(name)}; it runs ${settings.handlers.names().join(', ')}.`, verified);
  }
  const args = handler.args.safeParse(payload.args);
  if (!args.success) {
    const issues = args.error.issues.map((issue) => `${issue.path.length === 0 ? 'args' : `args.${issue.path.map(String).join('.')}`}: ${issue.message}`);
    return reject('invalid-arguments', `Invalid arguments for ${name}: ${issues.slice(0, 5).join('; ')}.`, verified);
  }
  return { accepted: true, payload, operator: verified.operator, kid, handler, args: args.data, expiresAtMs };
}
