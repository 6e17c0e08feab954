import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ChardevGpio, type ChardevGpioOptions } from './chardev.js';
import type { Clock } from './clock.js';
import { SimulatedGpio, type SimulatedChip } from './simulated.js';
import { SysfsGpio } from './sysfs.js';
import type { GpioBackend } from './types.js';

/** The `gpio` section of the configuration: the backend `type` and that backend's own options. */
export type GpioConfig =
  | ({ type: 'chardev' } & Omit<ChardevGpioOptions, 'logger' | 'clock'>)
  | { type: 'sysfs'; sysfsRoot?: string }
  | { type: 'simulated'; chips?: SimulatedChip[] };

/**
 * Build the backend named by `type`. An unavailable chip is reported by the backend's start();
 * nothing here falls back to simulation.
 */
export function createGpioBackend(config: GpioConfig, dependencies: { logger: Logger; clock?: Clock }): GpioBackend {
  const logger = dependencies.logger.child({ module: 'gpio', backend: config.type });
  switch (config.type) {
    case 'chardev': {
      const { type: _type, ...options } = config;
      return new ChardevGpio({ ...options, logger, clock: dependencies.clock });
    }
    case 'sysfs':
      return new SysfsGpio({ sysfsRoot: config.sysfsRoot, logger, clock: dependencies.clock });
    case 'simulated':
      return new SimulatedGpio({ chips: config.chips, logger, clock: dependencies.clock });
    default: {
      const type = (config as { type: unknown }).type;
      throw new FacegateError('gpio.unknown_type', `Unknown GPIO backend type ${JSON.stringify(type)}.`, {
        hint: 'Set gpio.type to chardev (libgpiod, the default on current kernels), sysfs (old kernels) or simulated (no hardware).',
        params: { type: String(type) },
      });
    }
  }
}
