import { describe, expect, it } from 'vitest';
import { TakeoverDetector } from './takeover.js';

const short = { accepted: true, failed: false, lifetimeMs: 200 };

describe('TakeoverDetector', () => {
  it('recognises DISCONNECT 0x8E at once', () => {
    const detector = new TakeoverDetector({ stableAfterMs: 30_000, clearAfterMs: 180_000 });
    expect(detector.onClose({ ...short, reasonCode: 0x8e, lifetimeMs: 3_600_000 })).toEqual({
      takeover: true,
      firstOfEpisode: true,
      evidence: 'reason-code',
      cleared: false,
    });
  });

  it('needs two unexplained closes in a row without a reason code', () => {
    const detector = new TakeoverDetector({ stableAfterMs: 30_000, clearAfterMs: 180_000 });
    expect(detector.onClose({ ...short, lifetimeMs: 3_600_000 }).takeover).toBe(false);
    const second = detector.onClose(short);
    expect(second.takeover).toBe(true);
    expect(second.firstOfEpisode).toBe(true);
    expect(second.evidence).toBe('repeated-unexplained-close');
    const third = detector.onClose(short);
    expect(third.takeover).toBe(true);
    expect(third.firstOfEpisode).toBe(false);
  });

  it('does not count a broker outage as a takeover', () => {
    const detector = new TakeoverDetector({ stableAfterMs: 30_000, clearAfterMs: 180_000 });
    expect(detector.onClose(short).takeover).toBe(false);
    // Reconnecting fails while the broker restarts: that breaks the run.
    expect(detector.onClose({ accepted: false, failed: true, lifetimeMs: 0 }).takeover).toBe(false);
    expect(detector.onClose(short).takeover).toBe(false);
  });

  it('does not count closes with an error or another reason code', () => {
    const detector = new TakeoverDetector({ stableAfterMs: 30_000, clearAfterMs: 180_000 });
    expect(detector.onClose({ ...short, failed: true }).takeover).toBe(false);
    expect(detector.onClose({ ...short, reasonCode: 0x8b }).takeover).toBe(false);
    expect(detector.onClose(short).takeover).toBe(false);
  });

  it('forgets an unexplained close after a stable connection', () => {
    const detector = new TakeoverDetector({ stableAfterMs: 1_000, clearAfterMs: 10_000 });
    expect(detector.onClose(short).takeover).toBe(false);
    expect(detector.onClose({ ...short, lifetimeMs: 5_000 }).takeover).toBe(false);
  });

  it('ends the episode after a connection lasts clearAfterMs', () => {
    const detector = new TakeoverDetector({ stableAfterMs: 1_000, clearAfterMs: 10_000 });
    detector.onClose({ ...short, reasonCode: 0x8e });
    expect(detector.inEpisode).toBe(true);
    const verdict = detector.onClose({ accepted: true, failed: true, lifetimeMs: 12_000 });
    expect(verdict.cleared).toBe(true);
    expect(verdict.takeover).toBe(false);
    expect(detector.inEpisode).toBe(false);
  });
});
