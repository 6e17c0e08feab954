import { describe, expect, it } from 'vitest';
import { envelopeTestKeys, sampleEvent } from '../test/support/events.js';
import { EnvelopeSchemaError } from './envelope-errors.js';
import { sealEvent } from './envelope.js';
import { attendanceEvent } from './event.js';

// Things that must never leave the device, in the shapes they take in memory or when serialised.
const EMBEDDING = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i));
const CONTRABAND: Record<string, unknown> = {
  'Float32Array embedding': EMBEDDING,
  'number array embedding': Array.from(EMBEDDING),
  'base64 embedding': Buffer.from(EMBEDDING.buffer).toString('base64'),
  'base64 image data URL': `data:image/jpeg;base64,${Buffer.alloc(3000, 0xff).toString('base64')}`,
  'Buffer crop': Buffer.alloc(112 * 112 * 3, 0x80),
  'landmark list': [[38.3, 51.7], [73.5, 51.5], [56.0, 71.7], [41.5, 92.4], [70.7, 92.2]],
  'nested object': { data: Array.from(EMBEDDING) },
};

/** Paths of every field in the sample event, nested ones included (`scores.match`, `models.fr_detect`). */
function fieldPaths(value: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, child]) =>
    child !== null && typeof child === 'object' && !Array.isArray(child)
      ? [[...prefix, key], ...fieldPaths(child as Record<string, unknown>, [...prefix, key])]
      : [[...prefix, key]],
  );
}

function withField(path: string[], replacement: unknown): Record<string, unknown> {
  const copy = structuredClone(sampleEvent()) as Record<string, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path.at(-1)!] = replacement;
  return copy;
}

describe('attendance event schema', () => {
  it('accepts a complete event', () => {
    expect(attendanceEvent.safeParse(sampleEvent()).success).toBe(true);
  });

  it('accepts an event with no subject, audit entry, reason or scores', () => {
    const event = sampleEvent({ subject: null, auditEntryId: null, scores: {}, decision: 'unknown' });
    delete (event as Partial<typeof event>).reason;
    expect(attendanceEvent.safeParse(event).success).toBe(true);
  });

  const paths = fieldPaths(sampleEvent());

  it('covers every field of the sample', () => {
    expect(paths.map((path) => path.join('.'))).toEqual(
      expect.arrayContaining(['v', 'eventId', 'scores.match', 'clock.source', 'models.fr_detect', 'reason']),
    );
  });

  for (const [name, value] of Object.entries(CONTRABAND)) {
    it(`rejects a ${name} in every field`, () => {
      const accepted = paths
        .filter((path) => attendanceEvent.safeParse(withField(path, value)).success)
        .map((path) => path.join('.'));
      expect(accepted).toEqual([]);
    });
  }

  it.each(['image', 'crop', 'landmarks', 'embedding', 'template', 'face', 'photo'])('rejects an extra top-level key %s', (key) => {
    const result = attendanceEvent.safeParse({ ...sampleEvent(), [key]: 'x' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it('rejects extra keys inside nested objects', () => {
    const event = sampleEvent();
    expect(attendanceEvent.safeParse({ ...event, scores: { ...event.scores, embedding: 0.5 } }).success).toBe(false);
    expect(attendanceEvent.safeParse({ ...event, clock: { ...event.clock, landmarks: 'x' } }).success).toBe(false);
  });

  it('rejects a __proto__ key from parsed JSON', () => {
    const json = JSON.stringify(sampleEvent()).replace(/^\{/, '{"__proto__":{"embedding":[1,2,3]},');
    expect(attendanceEvent.safeParse(JSON.parse(json)).success).toBe(false);
  });

  it('bounds the number of model entries', () => {
    // Eight short entries are fine; spreading data over many entries is not.
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`m${i}`, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']));
    expect(attendanceEvent.safeParse(sampleEvent({ models: many })).success).toBe(false);
  });

  it.each([
    ['match above 1', { match: 1.5 }],
    ['negative liveness', { liveness: -0.1 }],
    ['NaN match', { match: Number.NaN }],
    ['infinite margin', { margin: Number.POSITIVE_INFINITY }],
    ['string match', { match: '0.9' }],
  ])('rejects scores with %s', (_, scores) => {
    expect(attendanceEvent.safeParse({ ...sampleEvent(), scores }).success).toBe(false);
  });

  it.each([
    ['seq 0', { seq: 0 }],
    ['fractional seq', { seq: 1.5 }],
    ['UTC wall time', { wallTime: '2026-12-04T12:16:19.123Z' }],
    ['UUIDv4 event id', { eventId: '0f7e4c1a-1b2c-4d3e-8f90-123456789abc' }],
    ['schema version 2', { v: 2 }],
    ['unknown decision', { decision: 'maybe' }],
    ['device id with wildcard', { deviceId: 'gate+' }],
  ])('rejects %s', (_, change) => {
    expect(attendanceEvent.safeParse({ ...sampleEvent(), ...change }).success).toBe(false);
  });
});

describe('sealEvent allowlist', () => {
  const keys = envelopeTestKeys();
  const options = {
    deviceSigningKey: keys.device.privateKey,
    deviceKid: keys.device.kid,
    fleetPublicKey: keys.fleet.publicKey,
    fleetKid: keys.fleet.kid,
  };

  it('refuses an event with an embedding key', async () => {
    const event = { ...sampleEvent(), embedding: Array.from(EMBEDDING) };
    await expect(sealEvent(event, options)).rejects.toBeInstanceOf(EnvelopeSchemaError);
    await expect(sealEvent(event, options)).rejects.toThrow('Unrecognized key');
  });

  it('refuses a Float32Array in a score', async () => {
    const event = sampleEvent({ scores: { match: EMBEDDING as unknown as number } });
    await expect(sealEvent(event, options)).rejects.toThrow('scores.match');
  });

  it('refuses a base64 image in the reason', async () => {
    const event = sampleEvent({ reason: CONTRABAND['base64 image data URL'] as string });
    await expect(sealEvent(event, options)).rejects.toBeInstanceOf(EnvelopeSchemaError);
  });

  it('refuses before touching the keys', async () => {
    const event = { ...sampleEvent(), crop: 'x' };
    const broken = { ...options, deviceSigningKey: keys.fleet.publicKey };
    await expect(sealEvent(event, broken)).rejects.toBeInstanceOf(EnvelopeSchemaError);
  });
});
