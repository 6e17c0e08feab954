import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { wireModelVersions } from './event-recorder.js';
import { doorOptionsFrom, gpioConfigFrom, lineSpecFrom, pipelineSettingsFrom } from './hardware.js';

function config(door: Record<string, unknown>, extra: Partial<ConfigInput> = {}) {
  return validateConfig({
    device: { id: 'gate-01', site: 'site-1', direction: 'in' },
    camera: { type: 'v4l2' },
    door: { relay: { line: 'GPIO17' }, ...door },
    mqtt: { url: 'mqtts://broker.example:8883' },
    residency: { allowedBrokers: ['broker.example'] },
    ...extra,
  });
}

describe('configuration to hardware options', () => {
  it('maps every door line and its polarity', () => {
    const door = config({
      gpio: { type: 'chardev', chip: 'gpiochip0' },
      relay: { line: 'GPIO17', activeLow: true, pulseMs: 2_000 },
      leds: { green: 'GPIO22', red: { chip: 'gpiochip0', offset: 27 }, activeLow: true },
      buzzer: { line: 'GPIO24' },
      exitButton: { line: 'GPIO5', debounceMs: 80 },
      doorContact: { line: 'GPIO6', openLevel: 'low' },
      heldOpenMs: 20_000,
    }).door;
    const options = doorOptionsFrom(door);
    expect(options.relay).toEqual({ line: { name: 'GPIO17', chip: 'gpiochip0' }, activeLow: true, pulseMs: 2_000 });
    expect(options.signals).toEqual({
      green: { line: { name: 'GPIO22', chip: 'gpiochip0' }, activeLow: true },
      red: { line: { chip: 'gpiochip0', offset: 27 }, activeLow: true },
      buzzer: { line: { name: 'GPIO24', chip: 'gpiochip0' }, activeLow: false },
    });
    expect(options.exitButton).toEqual({ line: { name: 'GPIO5', chip: 'gpiochip0' }, activeLow: true, debounceMs: 80 });
    // openLevel low: the line reads low while the door is open, so "open" is the active-low state.
    expect(options.doorContact).toEqual({ line: { name: 'GPIO6', chip: 'gpiochip0' }, activeLow: true, heldOpenMs: 20_000 });
    expect(gpioConfigFrom(door)).toEqual({ type: 'chardev', chip: 'gpiochip0' });
  });

  it('leaves optional parts out', () => {
    const options = doorOptionsFrom(config({ gpio: { type: 'simulated' } }).door);
    expect(options.signals).toEqual({});
    expect(options.exitButton).toBeUndefined();
    expect(options.doorContact).toBeUndefined();
    expect(lineSpecFrom('GPIO17', undefined)).toEqual({ name: 'GPIO17' });
  });

  it('maps the vision thresholds', () => {
    const settings = pipelineSettingsFrom(config({}, { vision: { minDetectionScore: 0.7, minEyeDistancePx: 40, pose: { maxYawDeg: 20 } } }));
    expect(settings.detect).toEqual({ scoreThreshold: 0.7 });
    expect(settings.quality).toMatchObject({ minInterEyePx: 40, maxYawDeg: 20, maxPitchDeg: 25, minSharpness: 50, minBrightness: 40, maxBrightness: 220 });
    expect(settings.modelsDir).toBeUndefined();
  });

  it('drops the model name from wire versions', () => {
    expect(wireModelVersions({ fr_detect: 'fr_detect@6c0256ccd316', other: 'v2' })).toEqual({ fr_detect: '6c0256ccd316', other: 'v2' });
  });
});
