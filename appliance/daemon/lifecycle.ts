import type { Logger } from '../common/logger.js';

interface StartedStep {
  name: string;
  stop: () => Promise<void> | void;
}

/**
 * Runs the daemon's start-up as named steps and stops the started ones in reverse order. When a
 * step fails, the steps already started are stopped before the error goes on, so a failed start
 * leaves no line driven, no subprocess and no open database behind.
 */
export class Lifecycle {
  private readonly started: StartedStep[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly onStep: (name: string) => void = () => undefined,
  ) {}

  /** Start one step; `stop` is called with its result at shutdown. */
  async step<T>(name: string, start: () => Promise<T> | T, stop?: (value: T) => Promise<void> | void): Promise<T> {
    const began = performance.now();
    this.logger.info({ step: name }, `starting: ${name}`);
    this.onStep(name);
    let value: T;
    try {
      value = await start();
    } catch (error) {
      this.logger.error({ err: error, step: name }, `start-up failed at: ${name}`);
      await this.stopAll();
      throw error;
    }
    if (stop !== undefined) this.started.push({ name, stop: () => stop(value) });
    this.logger.info({ step: name, ms: Math.round(performance.now() - began) }, `started: ${name}`);
    return value;
  }

  /** Stop every started step, last first. A step that fails to stop is logged and the others still stop. */
  stopAll(): Promise<void> {
    this.stopping ??= this.stopEach();
    return this.stopping;
  }

  private async stopEach(): Promise<void> {
    for (const step of this.started.splice(0).reverse()) {
      const began = performance.now();
      try {
        await step.stop();
        this.logger.info({ step: step.name, ms: Math.round(performance.now() - began) }, `stopped: ${step.name}`);
      } catch (error) {
        this.logger.error({ err: error, step: step.name }, `stopping failed: ${step.name}`);
      }
    }
  }
}
