import { describe, expect, it } from 'vitest';
import { FRAME_GAP_NS, WiegandDecoder, decodeWiegand, encodeWiegand26 } from './wiegand.js';

const BIT_INTERVAL_NS = 2_000_000n;

describe('decodeWiegand', () => {
  it('decodes a 26-bit frame', () => {
    expect(decodeWiegand(encodeWiegand26(123, 45_678))).toEqual({ ok: true, bits: 26, facility: 123, card: 45_678, badgeId: '123:45678' });
  });

  it('matches a known H10301 frame', () => {
    // Facility 1, card 1: the first 12 payload bits hold one 1, so the even parity bit is 1; the
    // last 12 hold one 1, so the odd parity bit is 0.
    const bits = '1' + '00000001' + '0000000000000001' + '0';
    expect(decodeWiegand([...bits].map(Number))).toEqual({ ok: true, bits: 26, facility: 1, card: 1, badgeId: '1:1' });
  });

  it('rejects every single flipped bit', () => {
    const frame = encodeWiegand26(200, 4_321);
    for (let index = 0; index < frame.length; index++) {
      const damaged = [...frame];
      damaged[index] = 1 - damaged[index]!;
      expect(decodeWiegand(damaged), `bit ${index}`).toEqual({ ok: false, bits: 26, reason: 'parity' });
    }
  });

  it('decodes a 34-bit frame', () => {
    const payload = [...(65_000).toString(2).padStart(16, '0'), ...(54_321).toString(2).padStart(16, '0')].map(Number);
    const even = payload.slice(0, 16).reduce((a, b) => a + b, 0) % 2;
    const odd = 1 - (payload.slice(16).reduce((a, b) => a + b, 0) % 2);
    expect(decodeWiegand([even, ...payload, odd])).toEqual({ ok: true, bits: 34, facility: 65_000, card: 54_321, badgeId: '65000:54321' });
  });

  it('reports short and long frames', () => {
    expect(decodeWiegand([1, 0])).toEqual({ ok: false, bits: 2, reason: 'too-short' });
    expect(decodeWiegand(new Array(65).fill(1))).toEqual({ ok: false, bits: 65, reason: 'too-long' });
  });

  it('returns other lengths raw', () => {
    expect(decodeWiegand([1, 0, 1, 1, 0, 1, 0, 1])).toEqual({ ok: true, bits: 8, facility: null, card: 0b10110101, badgeId: 'raw8:181' });
  });
});

describe('WiegandDecoder', () => {
  it('splits frames at the idle gap', () => {
    const decoder = new WiegandDecoder();
    const first = encodeWiegand26(10, 20);
    const second = encodeWiegand26(30, 40);
    let time = 1_000_000_000n;
    const frames = [];
    for (const bit of first) {
      expect(decoder.pulse(bit as 0 | 1, time)).toBeUndefined();
      time += BIT_INTERVAL_NS;
    }
    time += FRAME_GAP_NS;
    for (const bit of second) {
      const frame = decoder.pulse(bit as 0 | 1, time);
      if (frame !== undefined) frames.push(frame);
      time += BIT_INTERVAL_NS;
    }
    expect(decoder.idle(time)).toBeUndefined();
    const last = decoder.idle(time + FRAME_GAP_NS);
    expect(frames.map((frame) => frame.ok && frame.badgeId)).toEqual(['10:20']);
    expect(last).toMatchObject({ ok: true, badgeId: '30:40' });
    expect(decoder.idle(time + 10n * FRAME_GAP_NS)).toBeUndefined();
  });
});
