import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Clock, TimerHandle } from '../gpio/clock.js';
import type { OutputLine } from '../gpio/types.js';
import { DEFAULT_PATTERNS, SIGNAL_CHANNELS, patternProblem, type PatternName, type SignalChannel, type SignalPattern } from './patterns.js';

export interface SignalPlayerOptions {
  outputs: Partial<Record<SignalChannel, OutputLine>>;
  logger: Logger;
  clock: Clock;
  patterns?: Partial<Record<PatternName, SignalPattern>>;
  /** Called when setting a signal output fails; signals are not safety relevant, so playing goes on. */
  onError?: (error: Error, channel: SignalChannel) => void;
}

/**
 * Plays named LED and buzzer patterns with timers. A finite pattern (granted, denied) plays in the
 * foreground and then returns to the background pattern; a `forever` pattern (busy, offline) becomes the
 * background. Channels without a configured output are skipped.
 */
export class SignalPlayer {
  private readonly patterns: Record<PatternName, SignalPattern>;
  private timer: TimerHandle | undefined;
  private foreground: PatternName | undefined;
  private backgroundName: PatternName | undefined;
  private stopped = false;

  constructor(private readonly options: SignalPlayerOptions) {
    this.patterns = { ...DEFAULT_PATTERNS, ...options.patterns };
    for (const [name, pattern] of Object.entries(this.patterns)) {
      const problem = patternProblem(pattern);
      if (problem) {
        throw new FacegateError('door.invalid_pattern', `Signal pattern ${name} ${problem}.`, {
          hint: 'Fix door.signals.patterns in the configuration; each frame needs ms > 0.',
          params: { pattern: name, problem },
        });
      }
    }
  }

  /** The pattern shown now: the foreground one if any, else the background. */
  get playing(): PatternName | undefined {
    return this.foreground ?? this.backgroundName;
  }

  get background(): PatternName | undefined {
    return this.backgroundName;
  }

  play(name: PatternName): void {
    if (this.stopped) return;
    const pattern = this.patterns[name];
    if (pattern.repeat === 'forever') {
      this.backgroundName = name;
      if (this.foreground === undefined) this.run(name, 0, 0);
      return;
    }
    this.foreground = name;
    this.run(name, 0, 0);
  }

  /** Remove the background pattern; the LEDs go dark once any foreground pattern ends. */
  clearBackground(): void {
    this.backgroundName = undefined;
    if (this.foreground === undefined) {
      this.cancelTimer();
      this.apply({});
    }
  }

  /** Cancel every timer and switch every signal output off. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    this.foreground = undefined;
    this.backgroundName = undefined;
    await Promise.all(
      SIGNAL_CHANNELS.map(async (channel) => {
        const output = this.options.outputs[channel];
        if (output) await this.setChannel(channel, output, false);
      }),
    );
  }

  private run(name: PatternName, frameIndex: number, round: number): void {
    this.cancelTimer();
    const pattern = this.patterns[name];
    const frame = pattern.frames[frameIndex]!;
    this.apply(frame);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      const nextFrame = frameIndex + 1;
      if (nextFrame < pattern.frames.length) return this.run(name, nextFrame, round);
      const nextRound = round + 1;
      if (pattern.repeat === 'forever' || nextRound < pattern.repeat) return this.run(name, 0, nextRound);
      this.finish(name);
    }, frame.ms);
  }

  private finish(name: PatternName): void {
    if (this.foreground === name) this.foreground = undefined;
    if (this.backgroundName !== undefined) this.run(this.backgroundName, 0, 0);
    else this.apply({});
  }

  private apply(frame: Partial<Record<SignalChannel, boolean>>): void {
    for (const channel of SIGNAL_CHANNELS) {
      const output = this.options.outputs[channel];
      if (output) void this.setChannel(channel, output, frame[channel] === true);
    }
  }

  private async setChannel(channel: SignalChannel, output: OutputLine, value: boolean): Promise<void> {
    try {
      await output.set(value);
    } catch (error) {
      this.options.logger.error({ err: error, channel, line: output.id }, 'Setting a signal output failed');
      this.options.onError?.(error as Error, channel);
    }
  }

  private cancelTimer(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
