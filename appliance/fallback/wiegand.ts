/**
 * Wiegand badge readers send a card number as pulses on two lines: a low pulse on D0 is a 0 bit, a
 * low pulse on D1 a 1 bit, with about 2 ms between bits. A frame ends when the lines stay idle. The
 * decoder is pure: feed it pulses with their kernel timestamps, and it returns decoded frames.
 *
 * Formats checked here:
 * - 26 bits (HID H10301): even parity over bits 1-12, 8-bit facility code, 16-bit card number, odd
 *   parity over bits 13-26.
 * - 34 bits (HID H10306 layout): even parity over bits 1-17, 16-bit facility code, 16-bit card
 *   number, odd parity over bits 18-34.
 * Other lengths are returned as raw bits with no parity check and no facility split.
 */

/** Idle time after the last pulse that ends a frame; readers leave 20 to 100 ms between frames. */
export const FRAME_GAP_NS = 25_000_000n;

export type WiegandFrame =
  | { ok: true; bits: number; facility: number | null; card: number; badgeId: string }
  | { ok: false; bits: number; reason: 'parity' | 'too-short' | 'too-long' };

const MIN_BITS = 4;
const MAX_BITS = 64;

export class WiegandDecoder {
  private bits: number[] = [];
  private lastPulseNs: bigint | undefined;

  /** Add one pulse (D0 → 0, D1 → 1); returns the previous frame when this pulse starts a new one. */
  pulse(bit: 0 | 1, timestampNs: bigint): WiegandFrame | undefined {
    const finished = this.lastPulseNs !== undefined && timestampNs - this.lastPulseNs >= FRAME_GAP_NS ? this.finish() : undefined;
    this.bits.push(bit);
    this.lastPulseNs = timestampNs;
    return finished;
  }

  /** End the frame when the lines have been idle for FRAME_GAP_NS at `nowNs`; call from a timer. */
  idle(nowNs: bigint): WiegandFrame | undefined {
    if (this.lastPulseNs === undefined || nowNs - this.lastPulseNs < FRAME_GAP_NS) return undefined;
    return this.finish();
  }

  private finish(): WiegandFrame | undefined {
    const bits = this.bits;
    this.bits = [];
    this.lastPulseNs = undefined;
    if (bits.length === 0) return undefined;
    return decodeWiegand(bits);
  }
}

/** Decode one complete frame of bits, most significant first as sent. */
export function decodeWiegand(bits: readonly (0 | 1)[] | readonly number[]): WiegandFrame {
  const count = bits.length;
  if (count < MIN_BITS) return { ok: false, bits: count, reason: 'too-short' };
  if (count > MAX_BITS) return { ok: false, bits: count, reason: 'too-long' };
  if (count === 26 || count === 34) {
    const half = count / 2;
    const evenOk = ones(bits.slice(0, half)) % 2 === 0;
    const oddOk = ones(bits.slice(half)) % 2 === 1;
    if (!evenOk || !oddOk) return { ok: false, bits: count, reason: 'parity' };
    const payload = bits.slice(1, count - 1);
    const facilityBits = count === 26 ? 8 : 16;
    const facility = toNumber(payload.slice(0, facilityBits));
    const card = toNumber(payload.slice(facilityBits));
    return { ok: true, bits: count, facility, card, badgeId: `${facility}:${card}` };
  }
  const card = toNumber(bits);
  return { ok: true, bits: count, facility: null, card, badgeId: `raw${count}:${card}` };
}

/** Encode a 26-bit H10301 frame with parity; for tests and the simulated reader. */
export function encodeWiegand26(facility: number, card: number): number[] {
  if (!Number.isInteger(facility) || facility < 0 || facility > 0xff) throw new RangeError(`facility ${facility} is outside 0-255`);
  if (!Number.isInteger(card) || card < 0 || card > 0xffff) throw new RangeError(`card ${card} is outside 0-65535`);
  const payload = [...toBits(facility, 8), ...toBits(card, 16)];
  const even = ones(payload.slice(0, 12)) % 2;
  const odd = 1 - (ones(payload.slice(12)) % 2);
  return [even, ...payload, odd];
}

function ones(bits: readonly number[]): number {
  return bits.reduce((sum, bit) => sum + bit, 0);
}

function toNumber(bits: readonly number[]): number {
  // Up to 64 bits do not fit a double exactly; BigInt keeps them, and cards above 2^53 are not issued in practice.
  return Number(bits.reduce((value, bit) => (value << 1n) | BigInt(bit), 0n));
}

function toBits(value: number, width: number): number[] {
  return Array.from({ length: width }, (_, index) => (value >> (width - 1 - index)) & 1);
}
