import { describe, expect, it } from 'vitest';
import { formatMacauTime, isMacauTime, monotonicNowMs, parseMacauTime } from './wall-time.js';

describe('formatMacauTime', () => {
  it('formats UTC+8 with milliseconds', () => {
    expect(formatMacauTime(Date.UTC(2026, 11, 4, 12, 16, 19, 123))).toBe('2026-12-04T20:16:19.123+08:00');
  });

  it('rolls over the date at Macau midnight', () => {
    expect(formatMacauTime(new Date('2026-12-31T16:00:00.000Z'))).toBe('2027-01-01T00:00:00.000+08:00');
    expect(formatMacauTime(new Date('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31T23:59:59.999+08:00');
  });

  it('rejects an invalid date', () => {
    expect(() => formatMacauTime(new Date('nonsense'))).toThrow(RangeError);
  });

  it('round-trips through parseMacauTime', () => {
    for (const ms of [0, 1_733_314_579_123, Date.UTC(2028, 1, 29, 23, 59, 59, 999)]) {
      expect(parseMacauTime(formatMacauTime(ms))).toBe(ms);
    }
  });
});

describe('parseMacauTime', () => {
  it.each([
    '2026-12-04T20:16:19+08:00',
    '2026-12-04T20:16:19.1+08:00',
    '2026-12-04T20:16:19.123456+08:00',
  ])('accepts %s', (text) => {
    expect(isMacauTime(text)).toBe(true);
  });

  it.each([
    '2026-12-04T12:16:19.123Z',
    '2026-12-04T20:16:19.123+00:00',
    '2026-12-04 20:16:19.123+08:00',
    '2026-02-30T10:00:00.000+08:00',
    '2026-13-01T10:00:00.000+08:00',
    '2026-12-04T24:00:00.000+08:00',
    '2026-12-04T20:16:19.1234567+08:00',
  ])('rejects %s', (text) => {
    expect(parseMacauTime(text)).toBeUndefined();
  });

  it('keeps two-digit years as they are', () => {
    expect(new Date(parseMacauTime('0050-01-01T08:00:00.000+08:00')!).getUTCFullYear()).toBe(50);
  });
});

describe('monotonicNowMs', () => {
  it('never decreases', () => {
    const first = monotonicNowMs();
    const second = monotonicNowMs();
    expect(second).toBeGreaterThanOrEqual(first);
    expect(first).toBeGreaterThan(0);
  });
});
