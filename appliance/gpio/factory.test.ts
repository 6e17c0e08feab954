import { describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { ChardevGpio } from './chardev.js';
import { createGpioBackend, type GpioConfig } from './factory.js';
import { SimulatedGpio } from './simulated.js';
import { SysfsGpio } from './sysfs.js';

describe('createGpioBackend', () => {
  it('builds the backend named by type', () => {
    const logger = silentLogger();
    expect(createGpioBackend({ type: 'chardev' }, { logger })).toBeInstanceOf(ChardevGpio);
    expect(createGpioBackend({ type: 'sysfs' }, { logger })).toBeInstanceOf(SysfsGpio);
    expect(createGpioBackend({ type: 'simulated' }, { logger })).toBeInstanceOf(SimulatedGpio);
  });

  it('rejects an unknown type with the choices', () => {
    expect(() => createGpioBackend({ type: 'wiringpi' } as unknown as GpioConfig, { logger: silentLogger() })).toThrow(
      expect.objectContaining({ code: 'gpio.unknown_type', hint: expect.stringContaining('chardev') }),
    );
  });

  it('fails a missing chip instead of simulating', async () => {
    const gpio = createGpioBackend({ type: 'chardev', devDir: '/nonexistent-dev' }, { logger: silentLogger() });
    await expect(gpio.start()).rejects.toMatchObject({ code: 'gpio.chip_missing' });
    expect(gpio.type).toBe('chardev');
  });
});
