import { randomBytes } from 'node:crypto';

/**
 * UUID version 7 (RFC 9562, section 5.7): 48 bits of Unix time in milliseconds, then version and
 * variant bits, then 74 more bits. We fill those as RFC 9562 section 6.2 "Method 1" describes,
 * with a 42-bit counter (12 bits of rand_a and the top 30 bits of rand_b) and 32 random bits.
 *
 * The counter starts at a random value with its top bit clear at each new millisecond and is
 * incremented for every further id in the same millisecond, so ids from one generator sort in
 * creation order. When the counter overflows, or the system clock steps back, the generator keeps
 * using the last timestamp plus one, which the RFC allows, instead of emitting an id that sorts
 * before an earlier one.
 */

export const UUIDV7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const COUNTER_BITS = 42n;
const COUNTER_MAX = (1n << COUNTER_BITS) - 1n;
const MAX_TIMESTAMP = 2 ** 48 - 1;

export interface Uuidv7Options {
  /** Milliseconds since the Unix epoch; `Date.now` by default. */
  now?: () => number;
  /** Source of random bytes; `crypto.randomBytes` by default. */
  random?: (size: number) => Uint8Array;
}

export class Uuidv7Generator {
  private readonly now: () => number;
  private readonly random: (size: number) => Uint8Array;
  private lastTimestamp = -1;
  private counter = 0n;

  constructor(options: Uuidv7Options = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? ((size) => randomBytes(size));
  }

  next(): string {
    let timestamp = Math.floor(this.now());
    if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) {
      throw new RangeError(`Clock value ${timestamp} ms is outside the 48-bit UUIDv7 timestamp range.`);
    }

    if (timestamp > this.lastTimestamp) {
      this.counter = this.seedCounter();
    } else {
      // Same millisecond, or the clock stepped back: stay on the last timestamp and count up.
      timestamp = this.lastTimestamp;
      this.counter += 1n;
      if (this.counter > COUNTER_MAX) {
        timestamp += 1;
        this.counter = this.seedCounter();
      }
    }
    this.lastTimestamp = timestamp;

    return format(timestamp, this.counter, this.random(4));
  }

  /** Draw a random 42-bit counter start with the top bit clear, leaving room for 2^41 increments. */
  private seedCounter(): bigint {
    const bytes = this.random(6);
    let value = 0n;
    for (const byte of bytes) value = (value << 8n) | BigInt(byte);
    return value & (COUNTER_MAX >> 1n);
  }
}

function format(timestamp: number, counter: bigint, tail: Uint8Array): string {
  const bytes = new Uint8Array(16);
  let ts = BigInt(timestamp);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(ts & 0xffn);
    ts >>= 8n;
  }

  const randA = Number(counter >> 30n); // 12 bits
  const counterLow = counter & ((1n << 30n) - 1n); // 30 bits placed at the top of rand_b
  bytes[6] = 0x70 | (randA >> 8);
  bytes[7] = randA & 0xff;
  // rand_b is 62 bits after the 2 variant bits: 30 counter bits, then 32 random bits.
  bytes[8] = 0x80 | Number(counterLow >> 24n);
  bytes[9] = Number((counterLow >> 16n) & 0xffn);
  bytes[10] = Number((counterLow >> 8n) & 0xffn);
  bytes[11] = Number(counterLow & 0xffn);
  bytes.set(tail.subarray(0, 4), 12);

  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const defaultGenerator = new Uuidv7Generator();

/** A new UUIDv7 from the process-wide monotonic generator. */
export function uuidv7(): string {
  return defaultGenerator.next();
}

export function isUuidv7(value: unknown): value is string {
  return typeof value === 'string' && UUIDV7_PATTERN.test(value);
}

/** Unix time in milliseconds stored in the first 48 bits of a UUIDv7. */
export function uuidv7Timestamp(id: string): number {
  if (!isUuidv7(id)) throw new TypeError(`${JSON.stringify(id)} is not a lower-case UUIDv7.`);
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
