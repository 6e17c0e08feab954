/** The signal outputs beside the relay: three LEDs and a buzzer. */
export const SIGNAL_CHANNELS = ['green', 'red', 'amber', 'buzzer'] as const;
export type SignalChannel = (typeof SIGNAL_CHANNELS)[number];

/** One step of a pattern: the channels listed as true are on for `ms`, every other channel is off. */
export interface PatternFrame extends Partial<Record<SignalChannel, boolean>> {
  ms: number;
}

export interface SignalPattern {
  frames: PatternFrame[];
  /** How many times the frames play. A `forever` pattern becomes the background shown between others. */
  repeat: number | 'forever';
}

export const PATTERN_NAMES = ['granted', 'denied', 'busy', 'offline'] as const;
export type PatternName = (typeof PATTERN_NAMES)[number];

/**
 * Default patterns. Granted is two seconds of green with one short beep, and denied is red with three
 * beeps. Busy (enrolment, gallery reload) blinks amber at 2 Hz. Offline (broker unreachable, events
 * queued) flashes amber briefly every two seconds.
 */
export const DEFAULT_PATTERNS: Record<PatternName, SignalPattern> = {
  granted: {
    frames: [
      { ms: 150, green: true, buzzer: true },
      { ms: 1850, green: true },
    ],
    repeat: 1,
  },
  denied: {
    frames: [
      { ms: 100, red: true, buzzer: true },
      { ms: 100, red: true },
      { ms: 100, red: true, buzzer: true },
      { ms: 100, red: true },
      { ms: 100, red: true, buzzer: true },
      { ms: 1000, red: true },
    ],
    repeat: 1,
  },
  busy: {
    frames: [{ ms: 250, amber: true }, { ms: 250 }],
    repeat: 'forever',
  },
  offline: {
    frames: [{ ms: 100, amber: true }, { ms: 1900 }],
    repeat: 'forever',
  },
};

/** Check a pattern's timing; returns the problem as text, or undefined when the pattern is valid. */
export function patternProblem(pattern: SignalPattern): string | undefined {
  if (pattern.frames.length === 0) return 'has no frames';
  const badFrame = pattern.frames.findIndex((frame) => !Number.isFinite(frame.ms) || frame.ms <= 0);
  if (badFrame >= 0) return `frame ${badFrame} has duration ${pattern.frames[badFrame]!.ms} ms; use a positive number`;
  if (pattern.repeat !== 'forever' && (!Number.isInteger(pattern.repeat) || pattern.repeat < 1)) {
    return `repeat ${pattern.repeat} must be a whole number of at least 1 or "forever"`;
  }
  return undefined;
}
