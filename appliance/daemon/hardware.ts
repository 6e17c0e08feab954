import type { FacegateConfig } from '../config/load.js';
import type { GpioLine } from '../config/schema.js';
import type { DoorControllerOptions } from '../door/door-controller.js';
import type { SignalChannel } from '../door/patterns.js';
import type { GpioConfig } from '../gpio/factory.js';
import type { LineSpec } from '../gpio/types.js';
import type { PipelineSettings } from '../vision/pipeline.js';

type DoorConfig = FacegateConfig['door'];

/** Build the GPIO backend settings named by `door.gpio`. */
export function gpioConfigFrom(door: DoorConfig): GpioConfig {
  const gpio = door.gpio;
  switch (gpio.type) {
    case 'chardev':
      return { type: 'chardev', ...(gpio.chip === undefined ? {} : { chip: gpio.chip }) };
    case 'sysfs':
      return { type: 'sysfs', ...(gpio.sysfsRoot === undefined ? {} : { sysfsRoot: gpio.sysfsRoot }) };
    case 'simulated':
      return { type: 'simulated' };
  }
}

/** Convert a configured line to the GPIO interface's form. A name is looked up on `door.gpio.chip` when that is set. */
export function lineSpecFrom(line: GpioLine | Readonly<GpioLine>, chip: string | undefined): LineSpec {
  if (typeof line === 'string') return chip === undefined ? { name: line } : { name: line, chip };
  return { chip: line.chip, offset: line.offset };
}

/** Build door controller options from the `door` section, without the backend, logger and clock. */
export function doorOptionsFrom(door: DoorConfig): Omit<DoorControllerOptions, 'gpio' | 'logger' | 'clock'> {
  const chip = door.gpio.chip;
  const signals: Partial<Record<SignalChannel, { line: LineSpec; activeLow: boolean }>> = {};
  for (const colour of ['green', 'red', 'amber'] as const) {
    const line = door.leds[colour];
    if (line !== undefined) signals[colour] = { line: lineSpecFrom(line, chip), activeLow: door.leds.activeLow };
  }
  if (door.buzzer !== undefined) signals.buzzer = { line: lineSpecFrom(door.buzzer.line, chip), activeLow: door.buzzer.activeLow };

  return {
    relay: { line: lineSpecFrom(door.relay.line, chip), activeLow: door.relay.activeLow, pulseMs: door.relay.pulseMs },
    signals,
    ...(door.exitButton === undefined
      ? {}
      : { exitButton: { line: lineSpecFrom(door.exitButton.line, chip), activeLow: door.exitButton.activeLow, debounceMs: door.exitButton.debounceMs } }),
    ...(door.doorContact === undefined
      ? {}
      : {
          doorContact: {
            line: lineSpecFrom(door.doorContact.line, chip),
            // The controller reads "active" as "door open".
            activeLow: door.doorContact.openLevel === 'low',
            heldOpenMs: door.heldOpenMs,
          },
        }),
  };
}

/** Build vision pipeline settings from the `vision` section and `modelsDir`. */
export function pipelineSettingsFrom(config: FacegateConfig): PipelineSettings {
  const vision = config.vision;
  return {
    ...(config.modelsDir === undefined ? {} : { modelsDir: config.modelsDir }),
    detect: { scoreThreshold: vision.minDetectionScore },
    quality: {
      minInterEyePx: vision.minEyeDistancePx,
      minSharpness: vision.minSharpness,
      maxYawDeg: vision.pose.maxYawDeg,
      maxPitchDeg: vision.pose.maxPitchDeg,
      maxRollDeg: vision.pose.maxRollDeg,
      minBrightness: vision.brightness.min,
      maxBrightness: vision.brightness.max,
      minFeatureNorm: vision.minFeatureNorm,
    },
  };
}
