import { z } from 'zod';
import { EnvelopeMismatchError } from './envelope-errors.js';
import { openJson } from './envelope-open.js';
import { ENVELOPE_TYPES, sealJson, type OpenEventOptions, type Opened, type SealEventOptions } from './envelope.js';
import { SCHEMA_VERSION, deviceId, eventId, firmwareVersion, macauTime, modelVersions, nonNegativeInteger, shortToken, siteId } from './fields.js';
import { ID_PATTERN, parseTopic } from './topics.js';

/**
 * The `cmd-result` message: what a device did with one command. It is sealed like an attendance
 * event (JWS by the device key inside JWE to the fleet key, `typ: facegate-command-result`). Each
 * handler's output has its own strict schema below, so a new handler must add its output here and
 * nothing else can reach the wire.
 */

export const COMMAND_OUTCOMES = ['done', 'rejected', 'failed'] as const;
export type CommandOutcome = (typeof COMMAND_OUTCOMES)[number];

/** Largest serialised result in bytes; a valid result is well under 1 kB. */
export const MAX_COMMAND_RESULT_BYTES = 4096;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case UUID');
const count = nonNegativeInteger.max(10_000_000);

/** Output of each command that has one, by command name. */
export const COMMAND_OUTPUTS = {
  'withdraw-consent': z.strictObject({
    /** The consent record that was withdrawn. */
    consentId: uuid,
    /** SHA-256 (hex) of the signed withdrawal receipt (compact JWS) the device issued, which identifies it. */
    receiptSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
    templatesDestroyed: count,
  }),
  'reload-gallery': z.strictObject({ templates: count, subjects: count, rejected: count }),
  ping: z.strictObject({ firmware: firmwareVersion, models: modelVersions, uptimeS: count }),
} as const;

export type CommandOutputs = { [K in keyof typeof COMMAND_OUTPUTS]: z.infer<(typeof COMMAND_OUTPUTS)[K]> };
export type CommandOutput = CommandOutputs[keyof CommandOutputs];

const commandOutput = z.union([COMMAND_OUTPUTS['withdraw-consent'], COMMAND_OUTPUTS['reload-gallery'], COMMAND_OUTPUTS.ping]);

export const commandResult = z
  .strictObject({
    v: z.literal(SCHEMA_VERSION),
    /** UUIDv7 of this result; the fleet drops duplicates by it. */
    resultId: eventId,
    commandId: eventId,
    /** Command name from the topic the command arrived on. */
    name: z.string().regex(ID_PATTERN, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ -'),
    deviceId,
    siteId,
    outcome: z.enum(COMMAND_OUTCOMES),
    /** Why, as a short token: `consent-withdrawn`, `expired`, `bad-signature`, `no-consent`. */
    reason: shortToken,
    finishedAt: macauTime,
    /** The audit entry written in the same transaction as this result. */
    auditEntryId: eventId,
    /** Only for `done`, in the schema of the command's name. */
    output: commandOutput.optional(),
  })
  .superRefine((result, ctx) => {
    if (result.output === undefined) return;
    if (result.outcome !== 'done') {
      ctx.addIssue({ code: 'custom', path: ['output'], message: 'only a done result has an output' });
      return;
    }
    const schema = (COMMAND_OUTPUTS as Record<string, z.ZodType>)[result.name];
    if (schema === undefined || !schema.safeParse(result.output).success) {
      ctx.addIssue({ code: 'custom', path: ['output'], message: `is not the output of command ${JSON.stringify(result.name)}` });
    }
  });

export type CommandResult = z.infer<typeof commandResult>;

/** Seal a result with the device key for the fleet key; throws EnvelopeSchemaError for anything the allowlist does not permit. */
export function sealCommandResult(result: CommandResult, keys: SealEventOptions): Promise<string> {
  return sealJson(commandResult, result, {
    typ: ENVELOPE_TYPES.commandResult,
    signingKey: keys.deviceSigningKey,
    signerKid: keys.deviceKid,
    recipientKey: keys.fleetPublicKey,
    recipientKid: keys.fleetKid,
    maxBytes: MAX_COMMAND_RESULT_BYTES,
  });
}

/**
 * Open a result and check that the device registered for the signing key is the device named in
 * the result and, when given, in the topic (which must be its `cmd-result` topic).
 */
export async function openCommandResult(jwe: string, options: OpenEventOptions): Promise<Opened<CommandResult>> {
  const opened = await openJson(commandResult, jwe, {
    typ: ENVELOPE_TYPES.commandResult,
    recipientKey: options.fleetPrivateKey,
    resolveSigner: options.resolveDeviceKey,
    maxBytes: MAX_COMMAND_RESULT_BYTES,
  });
  const { payload, signer, signerKid } = opened;
  if (signer.deviceId === undefined || signer.deviceId !== payload.deviceId || (signer.siteId !== undefined && signer.siteId !== payload.siteId)) {
    throw new EnvelopeMismatchError(
      `Command result ${payload.resultId} names ${payload.siteId}/${payload.deviceId}, but kid ${JSON.stringify(signerKid)} is registered to ${signer.deviceId === undefined ? 'no device' : `${signer.siteId ?? '?'}/${signer.deviceId}`}.`,
      { hint: 'A device may only sign its own results; check the device key registry.', params: { kid: signerKid } },
    );
  }
  if (options.topic !== undefined) {
    const parts = parseTopic(options.topic);
    if (parts === undefined || parts.channel !== 'cmd-result' || parts.deviceId !== payload.deviceId || parts.siteId !== payload.siteId) {
      throw new EnvelopeMismatchError(`Command result ${payload.resultId} of ${payload.siteId}/${payload.deviceId} arrived on topic ${JSON.stringify(options.topic)}.`, {
        hint: 'Results must arrive on facegate/v1/<site>/<device>/cmd-result of the device that signed them.',
      });
    }
  }
  return opened;
}
