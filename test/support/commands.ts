import { randomBytes, type KeyObject } from 'node:crypto';
import { DeviceAuditReader } from '../../appliance/audit/source.js';
import type { CommandPayload } from '../../protocol/command.js';
import { generateSigningKeyPair, keyId } from '../../protocol/keys.js';
import { uuidv7 } from '../../protocol/uuidv7.js';
import { formatMacauTime } from '../../protocol/wall-time.js';

/** An operator key pair with the name a device has its public key under. */
export interface OperatorTestKey {
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

export function operatorTestKey(name = 'ops-lee'): OperatorTestKey {
  const pair = generateSigningKeyPair();
  return { name, ...pair, kid: keyId(pair.publicKey) };
}

/** Build a valid `ping` command for gate-01 at mo-taipa-01, issued now and valid for 10 minutes, with any field overridden. */
export function sampleCommand(overrides: Partial<CommandPayload> = {}, nowMs = Date.now()): CommandPayload {
  return {
    v: 1,
    commandId: uuidv7(),
    name: 'ping',
    siteId: 'mo-taipa-01',
    deviceId: 'gate-01',
    issuedAt: formatMacauTime(nowMs),
    expiresAt: formatMacauTime(nowMs + 10 * 60_000),
    nonce: randomBytes(16).toString('base64url'),
    operator: 'ops-lee',
    args: {},
    ...overrides,
  };
}

/** The fields of a stored audit entry that the command tests check. */
export interface StoredAuditEntry {
  entryId: string;
  action: string;
  outcome: string;
  reason: string | null;
  actor: { kind: string; id: string | null };
  object: { kind: string; id: string | null } | null;
  sourceAddress: string | null;
  detail: Record<string, unknown>;
}

/** Read every audit entry of a device state folder, in storage order, through a read-only connection. */
export function readAuditEntries(stateDir: string): StoredAuditEntry[] {
  const reader = DeviceAuditReader.open(stateDir);
  try {
    return [...reader.entries()] as unknown as StoredAuditEntry[];
  } finally {
    reader.close();
  }
}
