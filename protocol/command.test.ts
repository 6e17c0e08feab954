import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { operatorTestKey, sampleCommand } from '../test/support/commands.js';
import {
  COMMAND_JWS_TYPE,
  CommandRejectedError,
  commandPayload,
  inspectCommand,
  signCommand,
  verifyCommand,
  type CommandPayload,
  type OperatorResolver,
} from './command.js';
import { formatMacauTime } from './wall-time.js';

const operator = operatorTestKey('ops-lee');
const resolve: OperatorResolver = (kid) => (kid === operator.kid ? { name: operator.name, publicKey: operator.publicKey } : undefined);

/** Sign any JSON with the operator key and the given header, bypassing signCommand's own checks. */
function rawSign(payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: operator.kid, typ: COMMAND_JWS_TYPE, ...header } as { alg: string })
    .sign(operator.privateKey);
}

async function rejection(token: string): Promise<CommandRejectedError> {
  const error = await verifyCommand(token, resolve).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CommandRejectedError);
  return error as CommandRejectedError;
}

const EMBEDDING = Array.from({ length: 512 }, (_, i) => Math.sin(i));
const CONTRABAND: Record<string, unknown> = {
  'number array embedding': EMBEDDING,
  'base64 embedding': Buffer.from(Float32Array.from(EMBEDDING).buffer).toString('base64'),
  'base64 image data URL': `data:image/jpeg;base64,${Buffer.alloc(3000, 0xff).toString('base64')}`,
  'nested object': { data: EMBEDDING },
};

describe('command payload schema', () => {
  it('accepts a sample command with arguments', () => {
    expect(commandPayload.safeParse(sampleCommand({ name: 'withdraw-consent', args: { subject: 'W-0001', reason: 'worker asked by e-mail' } })).success).toBe(true);
  });

  it.each([
    ['expiry before issue', (now: number) => ({ issuedAt: formatMacauTime(now), expiresAt: formatMacauTime(now - 1000) })],
    ['expiry equal to issue', (now: number) => ({ issuedAt: formatMacauTime(now), expiresAt: formatMacauTime(now) })],
    ['lifetime over 24 h', (now: number) => ({ issuedAt: formatMacauTime(now), expiresAt: formatMacauTime(now + 24 * 3_600_000 + 1000) })],
  ])('rejects %s', (_, times) => {
    const result = commandPayload.safeParse(sampleCommand(times(Date.now())));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['expiresAt']);
  });

  it('accepts a lifetime of exactly 24 h', () => {
    const now = Date.now();
    expect(commandPayload.safeParse(sampleCommand({ issuedAt: formatMacauTime(now), expiresAt: formatMacauTime(now + 24 * 3_600_000) })).success).toBe(true);
  });

  it.each([
    ['UUIDv4 command id', { commandId: '0f7e4c1a-1b2c-4d3e-8f90-123456789abc' }],
    ['upper-case name', { name: 'Ping' }],
    ['name with a slash', { name: 'ping/x' }],
    ['short nonce', { nonce: 'abc' }],
    ['nonce with padding', { nonce: `${'A'.repeat(22)}==` }],
    ['UTC issue time', { issuedAt: '2026-12-04T12:16:19.123Z' }],
    ['operator with a space', { operator: 'ops lee' }],
    ['device with a wildcard', { deviceId: 'gate+' }],
    ['schema version 2', { v: 2 }],
    ['numeric argument', { args: { count: 3 } }],
    ['empty argument', { args: { subject: '' } }],
    ['argument with a newline', { args: { reason: 'a\nb' } }],
    ['argument over 128 characters', { args: { reason: 'x'.repeat(129) } }],
    ['nine arguments', { args: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}`, 'x'])) }],
  ])('rejects a %s', (_, change) => {
    expect(commandPayload.safeParse({ ...sampleCommand(), ...change }).success).toBe(false);
  });

  for (const [name, value] of Object.entries(CONTRABAND)) {
    it(`rejects a ${name} in every field and argument`, () => {
      const fields = Object.keys(sampleCommand()).filter((key) => key !== 'args');
      const accepted = fields.filter((field) => commandPayload.safeParse({ ...sampleCommand(), [field]: value }).success);
      expect(accepted).toEqual([]);
      expect(commandPayload.safeParse(sampleCommand({ args: { subject: value as string } })).success).toBe(false);
    });
  }

  it.each(['image', 'embedding', 'template', 'photo'])('rejects an extra key %s', (key) => {
    const result = commandPayload.safeParse({ ...sampleCommand(), [key]: 'x' });
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });
});

describe('signCommand and verifyCommand', () => {
  it('round-trips a command', async () => {
    const command = sampleCommand({ name: 'withdraw-consent', args: { subject: 'W-0001', reason: 'left the company' } });
    const token = await signCommand(command, operator.privateKey);
    const verified = await verifyCommand(token, resolve);
    expect(verified.payload).toEqual(command);
    expect(verified.kid).toBe(operator.kid);
    expect(verified.operator.name).toBe('ops-lee');
  });

  it('rejects an invalid payload before signing', async () => {
    const bad = { ...sampleCommand(), photo: 'x' } as unknown as CommandPayload;
    await expect(signCommand(bad, operator.publicKey)).rejects.toMatchObject({ reason: 'invalid-payload' });
  });

  it('rejects a public signing key', async () => {
    await expect(signCommand(sampleCommand(), operator.publicKey)).rejects.toThrow('Ed25519 private key');
  });

  it.each([
    ['a token over the size limit', `${'a'.repeat(9000)}.b.c`],
    ['a JWE', 'a.b.c.d.e'],
    ['plain JSON', JSON.stringify(sampleCommand())],
    ['an empty string', ''],
    ['an undecodable header', 'e30x.e30.c2ln'],
  ])('marks %s malformed', async (_, token) => {
    expect((await rejection(token)).reason).toBe('malformed');
  });

  it('rejects another typ, so an audit token cannot pass as a command', async () => {
    const error = await rejection(await rawSign(sampleCommand(), { typ: 'facegate-audit+jwt' }));
    expect(error.reason).toBe('bad-header');
    expect(error.message).toContain('facegate-audit+jwt');
  });

  it('rejects a missing kid', async () => {
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(sampleCommand())))
      .setProtectedHeader({ alg: 'EdDSA', typ: COMMAND_JWS_TYPE })
      .sign(operator.privateKey);
    expect((await rejection(token)).reason).toBe('bad-header');
  });

  it('rejects an unknown operator key', async () => {
    const stranger = operatorTestKey('ops-lee');
    const error = await rejection(await signCommand(sampleCommand(), stranger.privateKey));
    expect(error.reason).toBe('unknown-key');
    expect(error.message).toContain(stranger.kid);
  });

  it('rejects a signature by another key under the installed kid', async () => {
    const stranger = operatorTestKey('ops-lee');
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(sampleCommand())))
      .setProtectedHeader({ alg: 'EdDSA', kid: operator.kid, typ: COMMAND_JWS_TYPE })
      .sign(stranger.privateKey);
    expect((await rejection(token)).reason).toBe('bad-signature');
  });

  it('rejects an altered payload', async () => {
    const [header, , signature] = (await signCommand(sampleCommand(), operator.privateKey)).split('.');
    const altered = Buffer.from(JSON.stringify(sampleCommand({ deviceId: 'gate-02' }))).toString('base64url');
    expect((await rejection(`${header}.${altered}.${signature}`)).reason).toBe('bad-signature');
  });

  it('rejects a signed payload failing the schema', async () => {
    const error = await rejection(await rawSign({ ...sampleCommand(), embedding: EMBEDDING.slice(0, 16) }));
    expect(error.reason).toBe('invalid-payload');
    expect(error.message).toContain('Unrecognized key');
  });

  it('rejects a signed __proto__ argument', async () => {
    // JSON.parse makes "__proto__" an own key, and zod 4.6 skips that key in a record instead of checking it.
    const json = JSON.stringify(sampleCommand()).replace('"args":{}', '"args":{"__proto__":"W-0001"}');
    expect(json).toContain('__proto__');
    const token = await new CompactSign(new TextEncoder().encode(json))
      .setProtectedHeader({ alg: 'EdDSA', kid: operator.kid, typ: COMMAND_JWS_TYPE })
      .sign(operator.privateKey);

    const error = await rejection(token);
    expect(error.reason).toBe('invalid-payload');
    expect(error.message).toContain('args');
  });

  it('rejects a signed payload that is not JSON', async () => {
    const token = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'EdDSA', kid: operator.kid, typ: COMMAND_JWS_TYPE })
      .sign(operator.privateKey);
    expect((await rejection(token)).reason).toBe('invalid-payload');
  });

  it('rejects an operator name other than the key owner', async () => {
    const error = await rejection(await signCommand(sampleCommand({ operator: 'ops-chan' }), operator.privateKey));
    expect(error.reason).toBe('operator-mismatch');
    expect(error.code).toBe('command.operator-mismatch');
  });
});

describe('inspectCommand', () => {
  it('reads the kid, command id and operator without verifying', async () => {
    const command = sampleCommand();
    const stranger = operatorTestKey('ops-x');
    const token = await signCommand({ ...command, operator: 'ops-x' }, stranger.privateKey);
    expect(inspectCommand(token)).toEqual({ kid: stranger.kid, commandId: command.commandId, operator: 'ops-x' });
  });

  it('leaves out values without their valid form', async () => {
    const token = await rawSign({ commandId: 'not-a-uuid', operator: 'a b' });
    expect(inspectCommand(token)).toEqual({ kid: operator.kid });
  });

  it.each(['', 'garbage', 'a.b.c', '%%%.%%%.%%%', 'e30.W10.c2ln'])('returns nothing for %j', (token) => {
    const claims = inspectCommand(token);
    expect(claims.commandId).toBeUndefined();
    expect(claims.operator).toBeUndefined();
  });
});
