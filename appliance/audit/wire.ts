import { z } from 'zod';
import { openJson } from '../../protocol/envelope-open.js';
import { ENVELOPE_TYPES, sealJson, type EnvelopeKey, type Opened, type RecipientKeySource, type SignerResolver } from '../../protocol/envelope.js';
import { EnvelopeMismatchError } from '../../protocol/envelope-errors.js';
import { parseTopic } from '../../protocol/topics.js';
import { checkpointSchema, type Checkpoint } from './checkpoint.js';
import { auditEntry, type AuditEntry } from './entry.js';

/**
 * What the `audit` topic carries: one sealed audit entry or one signed checkpoint per message,
 * in the same JWS-in-JWE envelope as attendance events but with typ `facegate-audit`, so neither
 * can be replayed as the other.
 */

export const auditMessage = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('entry'), entry: auditEntry }),
  z.strictObject({ kind: z.literal('checkpoint'), checkpoint: checkpointSchema }),
]);

export type AuditMessage = z.infer<typeof auditMessage>;

/** Largest serialised audit message; an entry with all 16 detail values at their limit stays below 4 KiB. */
export const MAX_AUDIT_MESSAGE_BYTES = 8192;

export interface AuditSealKeys {
  deviceSigningKey: EnvelopeKey;
  deviceKid: string;
  fleetPublicKey: EnvelopeKey;
  fleetKid: string;
}

export function sealAuditMessage(message: AuditMessage, keys: AuditSealKeys): Promise<string> {
  return sealJson(auditMessage, message, {
    typ: ENVELOPE_TYPES.audit,
    signingKey: keys.deviceSigningKey,
    signerKid: keys.deviceKid,
    recipientKey: keys.fleetPublicKey,
    recipientKid: keys.fleetKid,
    maxBytes: MAX_AUDIT_MESSAGE_BYTES,
  });
}

export interface OpenAuditOptions {
  fleetPrivateKey: RecipientKeySource;
  resolveDeviceKey: SignerResolver;
  /** Topic the envelope arrived on; when given, it must be the `audit` topic of the signing device. */
  topic?: string;
}

/** Open an audit message and check that the signer, the payload and the topic name the same device. */
export async function openAuditMessage(jwe: string, options: OpenAuditOptions): Promise<Opened<AuditMessage>> {
  const opened = await openJson(auditMessage, jwe, {
    typ: ENVELOPE_TYPES.audit,
    recipientKey: options.fleetPrivateKey,
    resolveSigner: options.resolveDeviceKey,
    maxBytes: MAX_AUDIT_MESSAGE_BYTES,
  });
  const { payload, signer, signerKid } = opened;
  const named: AuditEntry | Checkpoint = payload.kind === 'entry' ? payload.entry : payload.checkpoint;
  const what = payload.kind === 'entry' ? `Audit entry ${payload.entry.seq}` : `Checkpoint ${payload.checkpoint.number}`;

  if (signer.deviceId === undefined || signer.deviceId !== named.deviceId) {
    throw new EnvelopeMismatchError(
      `${what} names device ${JSON.stringify(named.deviceId)}, but kid ${JSON.stringify(signerKid)} is registered to ${signer.deviceId === undefined ? 'no device' : `device ${JSON.stringify(signer.deviceId)}`}.`,
      { hint: 'A device may only sign its own audit log; check the device key registry.', params: { kid: signerKid } },
    );
  }
  if (signer.siteId !== undefined && signer.siteId !== named.siteId) {
    throw new EnvelopeMismatchError(`${what} of ${named.deviceId} names site ${JSON.stringify(named.siteId)}, but the device is registered at ${JSON.stringify(signer.siteId)}.`, {
      hint: 'Update the registry if the device was moved to another site.',
    });
  }
  if (options.topic !== undefined) {
    const parts = parseTopic(options.topic);
    if (parts === undefined || parts.channel !== 'audit' || parts.deviceId !== named.deviceId || parts.siteId !== named.siteId) {
      throw new EnvelopeMismatchError(`${what} of ${named.siteId}/${named.deviceId} arrived on topic ${JSON.stringify(options.topic)}.`, {
        hint: 'Audit messages must arrive on facegate/v1/<site>/<device>/audit of the device that signed them.',
      });
    }
  }
  return opened;
}
