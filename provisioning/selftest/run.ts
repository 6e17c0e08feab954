import type { Logger } from '../../appliance/common/logger.js';
import type { FacegateConfig } from '../../appliance/config/index.js';
import { gpioConfigFrom } from '../../appliance/daemon/hardware.js';
import { createGpioBackend } from '../../appliance/gpio/factory.js';
import type { GpioBackend } from '../../appliance/gpio/types.js';
import type { ClockSyncReaderOptions } from '../../appliance/telemetry/clock-sync.js';
import { runGpioChecks } from './gpio-checks.js';
import { runBrokerChecks, runClockCheck } from './network-checks.js';
import type { CheckResult, Operator, Section } from './types.js';
import { runVisionChecks } from './vision-checks.js';

export interface SelftestOptions {
  config: FacegateConfig;
  logger: Logger;
  operator: Operator;
  /** Sections to leave out. */
  skip: ReadonlySet<Section>;
  /** Frames to grab from the camera; 30 by default. */
  frames?: number;
  /** How long to wait for a press or a door opening; 20 s by default. */
  inputTimeoutMs?: number;
  /** How long each output stays on; 600 ms by default. */
  outputOnMs?: number;
  /** How long the broker may take to accept the connection; 10 s by default. */
  brokerTimeoutMs?: number;
  /** The GPIO backend; by default the one the configuration names. Tests pass their SimulatedGpio. */
  gpio?: GpioBackend;
  clock?: ClockSyncReaderOptions;
  now?: () => Date;
}

/**
 * Check the hardware and connections of a configured device, in the order a technician would:
 * door wiring, models and camera, certificate and broker, clock. Every check runs even after
 * another failed, so one run lists everything to fix.
 */
export async function runSelftest(options: SelftestOptions): Promise<CheckResult[]> {
  const { config, logger, operator, skip } = options;
  const results: CheckResult[] = [];

  if (skip.has('gpio')) {
    results.push({ id: 'relay', status: 'skip', detail: { key: 'skipped', params: { section: 'gpio' } } });
  } else {
    const gpio = options.gpio ?? createGpioBackend(gpioConfigFrom(config.door), { logger });
    results.push(...(await runGpioChecks({ config, gpio, operator, logger, inputTimeoutMs: options.inputTimeoutMs ?? 20_000, ...(options.outputOnMs === undefined ? {} : { outputOnMs: options.outputOnMs }) })));
  }

  results.push(
    ...(await runVisionChecks({ config, logger, operator, frames: options.frames ?? 30, skipCamera: skip.has('camera'), skipVision: skip.has('vision') })),
  );

  if (skip.has('broker')) {
    results.push({ id: 'broker', status: 'skip', detail: { key: 'skipped', params: { section: 'broker' } } });
  } else {
    results.push(...(await runBrokerChecks(config, logger, options.now?.() ?? new Date(), options.brokerTimeoutMs ?? 10_000)));
  }

  if (skip.has('clock')) results.push({ id: 'clock', status: 'skip', detail: { key: 'skipped', params: { section: 'clock' } } });
  else results.push(await runClockCheck(options.clock));
  return results;
}
