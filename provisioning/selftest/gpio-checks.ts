import type { FacegateConfig, GpioLine } from '../../appliance/config/index.js';
import { lineSpecFrom } from '../../appliance/daemon/hardware.js';
import type { Logger } from '../../appliance/common/logger.js';
import { SimulatedGpio } from '../../appliance/gpio/simulated.js';
import type { GpioBackend, InputLine, InputLineOptions } from '../../appliance/gpio/types.js';
import type { CheckId, CheckResult, Operator } from './types.js';

/** How long each output stays on by default: long enough to hear and see, short enough not to hold the door open. */
export const OUTPUT_ON_MS = 600;

export interface GpioCheckOptions {
  config: FacegateConfig;
  gpio: GpioBackend;
  operator: Operator;
  logger: Logger;
  /** How long to wait for the technician to press the button or open the door. */
  inputTimeoutMs: number;
  /** How long each output stays on; OUTPUT_ON_MS by default. */
  outputOnMs?: number;
}

interface OutputSpec {
  id: CheckId;
  label: string;
  line: GpioLine;
  activeLow: boolean;
}

/**
 * Drive the relay, LEDs and buzzer, then read the exit button and the door contact. Starting the
 * backend can fail (no GPIO chip, missing permission): then a single `gpio` row carries the error.
 */
export async function runGpioChecks(options: GpioCheckOptions): Promise<CheckResult[]> {
  const { gpio } = options;
  try {
    await gpio.start();
  } catch (error) {
    options.logger.warn({ err: error }, 'self-test: GPIO backend did not start');
    return [{ id: 'gpio', status: 'fail', fix: { key: 'fix.gpio' }, error }];
  }
  const results: CheckResult[] = [];
  try {
    for (const output of outputs(options.config)) results.push(await checkOutput(options, output));
    results.push(...(await checkInputs(options)));
  } finally {
    await gpio.stop();
  }
  return results;
}

function outputs(config: FacegateConfig): OutputSpec[] {
  const door = config.door;
  const list: OutputSpec[] = [{ id: 'relay', label: 'relay', line: door.relay.line, activeLow: door.relay.activeLow }];
  for (const colour of ['green', 'red', 'amber'] as const) {
    const line = door.leds[colour];
    if (line !== undefined) list.push({ id: `led.${colour}`, label: `led.${colour}`, line, activeLow: door.leds.activeLow });
  }
  if (door.buzzer !== undefined) list.push({ id: 'buzzer', label: 'buzzer', line: door.buzzer.line, activeLow: door.buzzer.activeLow });
  return list;
}

async function checkOutput(options: GpioCheckOptions, spec: OutputSpec): Promise<CheckResult> {
  const { gpio, operator } = options;
  const isRelay = spec.id === 'relay';
  const onMs = options.outputOnMs ?? OUTPUT_ON_MS;
  const fix = isRelay ? { key: 'fix.relay' as const } : { key: 'fix.output' as const, params: { line: describe(spec.line) } };
  let lineId = describe(spec.line);
  try {
    const line = await gpio.openOutput({ line: lineSpecFrom(spec.line, options.config.door.gpio.chip), activeLow: spec.activeLow, initial: false, label: spec.label });
    lineId = line.id;
    try {
      await line.set(true);
      await sleep(onMs);
    } finally {
      // Release even when set(true) failed halfway, so a relay is never left energised.
      await line.set(false).catch(() => undefined);
      await line.close();
    }
  } catch (error) {
    options.logger.warn({ err: error, line: lineId }, 'self-test: output failed');
    return { id: spec.id, status: 'fail', fix, error };
  }

  const params = { ms: onMs, line: lineId };
  if (gpio instanceof SimulatedGpio && !drivenOnAndOff(gpio, spec.label)) {
    return { id: spec.id, status: 'fail', detail: { key: 'output.notDriven', params }, fix };
  }
  if (!operator.interactive) return { id: spec.id, status: 'pass', detail: { key: isRelay ? 'relay.driven' : 'output.driven', params } };
  const seen = await operator.confirm({ key: `ask.${spec.id as 'relay' | 'led.green' | 'led.red' | 'led.amber' | 'buzzer'}` });
  if (seen) return { id: spec.id, status: 'pass', detail: { key: isRelay ? 'relay.confirmed' : 'output.confirmed', params } };
  return { id: spec.id, status: 'fail', detail: { key: isRelay ? 'relay.notConfirmed' : 'output.notConfirmed', params }, fix };
}

async function checkInputs(options: GpioCheckOptions): Promise<CheckResult[]> {
  const { config } = options;
  const door = config.door;
  const chip = door.gpio.chip;
  const results: CheckResult[] = [];
  if (door.exitButton !== undefined) {
    const activeLow = door.exitButton.activeLow;
    results.push(
      await checkInput(options, 'exit-button', {
        line: lineSpecFrom(door.exitButton.line, chip),
        activeLow,
        // A button to ground needs the pull-up; a button to 3.3 V the pull-down.
        bias: activeLow ? 'pull-up' : 'pull-down',
        debounceMs: door.exitButton.debounceMs,
        label: 'exitButton',
      }),
    );
  }
  if (door.doorContact !== undefined) {
    results.push(
      await checkInput(options, 'door-contact', {
        line: lineSpecFrom(door.doorContact.line, chip),
        // Active means "door open"; the pull-up makes a cut cable read as an open door.
        activeLow: door.doorContact.openLevel === 'low',
        bias: 'pull-up',
        debounceMs: 50,
        label: 'doorContact',
      }),
    );
  }
  return results;
}

/**
 * Check an input: at rest it must read inactive, then go active and back within the timeout. The
 * technician presses the button or opens the door. With simulated GPIO and no technician, the
 * check drives the simulated pin itself, so the debounce and change path still run.
 */
async function checkInput(options: GpioCheckOptions, id: 'exit-button' | 'door-contact', lineOptions: InputLineOptions): Promise<CheckResult> {
  const { gpio, operator } = options;
  const button = id === 'exit-button';
  const seconds = Math.round(options.inputTimeoutMs / 1000);
  let line: InputLine;
  try {
    line = await gpio.openInput(lineOptions);
  } catch (error) {
    const fix = { key: button ? ('fix.input' as const) : ('fix.contact' as const), params: { line: describeSpec(lineOptions) } };
    return { id, status: 'fail', fix, error };
  }
  const params = { line: line.id, seconds };
  const fix = { key: button ? ('fix.input' as const) : ('fix.contact' as const), params };
  const simulated = gpio instanceof SimulatedGpio && !operator.interactive;
  try {
    if (gpio instanceof SimulatedGpio) {
      // Nothing is wired to a simulated pin, so it rests at its bias level. Release the simulated
      // button and close the simulated door, as the real ones are when the test begins.
      gpio.setInput(lineOptions.label!, false);
      await sleep((lineOptions.debounceMs ?? 0) + 20);
    }
    if (line.read()) {
      return button
        ? { id, status: 'fail', detail: { key: 'input.stuck', params }, fix: { key: 'fix.inputStuck' } }
        : { id, status: 'fail', detail: { key: 'contact.startsOpen', params }, fix };
    }
    if (!operator.interactive && !simulated) {
      return { id, status: 'skip', detail: { key: button ? 'input.needsPerson' : 'contact.needsPerson' } };
    }

    const cycled = waitForCycle(line, options.inputTimeoutMs);
    if (simulated) {
      const debounce = (lineOptions.debounceMs ?? 0) + 20;
      gpio.setInput(lineOptions.label!, true);
      await sleep(debounce);
      gpio.setInput(lineOptions.label!, false);
    } else {
      operator.instruct({ key: button ? 'do.exit-button' : 'do.door-contact', params: { seconds } });
    }
    if (await cycled) {
      const driven = button ? 'input.simulated' : 'contact.simulated';
      const seen = button ? 'input.cycled' : 'contact.cycled';
      return { id, status: 'pass', detail: { key: simulated ? driven : seen, params } };
    }
    return { id, status: 'fail', detail: { key: button ? 'input.timeout' : 'contact.timeout', params }, fix };
  } finally {
    await line.close();
  }
}

/** Check that the simulated line recorded a `set` to active followed by a `set` back to inactive. */
function drivenOnAndOff(gpio: SimulatedGpio, label: string): boolean {
  const sets = gpio.transitions(label).filter((transition) => transition.cause === 'set');
  const on = sets.findIndex((transition) => transition.value);
  return on >= 0 && sets.slice(on + 1).some((transition) => !transition.value);
}

/** Resolve true once the line has gone active and back to inactive, or false after `timeoutMs`. */
function waitForCycle(line: InputLine, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let wasActive = false;
    const finish = (result: boolean): void => {
      clearTimeout(timer);
      line.off('change', onChange);
      resolve(result);
    };
    const onChange = (value: boolean): void => {
      if (value) wasActive = true;
      else if (wasActive) finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    line.on('change', onChange);
  });
}

function describe(line: GpioLine): string {
  return typeof line === 'string' ? line : `${line.chip}:${line.offset}`;
}

function describeSpec(options: InputLineOptions): string {
  return 'name' in options.line ? options.line.name : `${options.line.chip}:${options.line.offset}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
