import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildGetArgs,
  buildMonArgs,
  buildSetArgs,
  classifyToolError,
  describeChips,
  findLine,
  parseGetOutput,
  parseGpiodetect,
  parseGpioinfo,
  parseMonLine,
  parseToolVersion,
  withLabels,
} from './libgpiod-tools.js';

// The samples follow the exact print layout of libgpiod 1.6 and 2.1 (tools/gpioinfo.c, tools-common.c) with the
// line names of the Raspberry Pi device trees. They were composed, not captured: this machine has no GPIO chip.
const fixture = (name: string): string =>
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');

const V1 = { major: 1, minor: 6, patch: 3 };
const V2 = { major: 2, minor: 1, patch: 3 };

describe('parseToolVersion', () => {
  it('reads v1 and v2 banners', () => {
    expect(parseToolVersion('gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski\n')).toEqual(V1);
    expect(parseToolVersion('gpioset (libgpiod) v2.1.3\n')).toEqual(V2);
    expect(parseToolVersion('gpioset (libgpiod) v2.2\n')).toEqual({ major: 2, minor: 2, patch: 0 });
  });

  it('returns undefined for other text', () => {
    expect(parseToolVersion('gpioset: command not found')).toBeUndefined();
  });
});

describe('parseGpioinfo on a Pi 4 (libgpiod 1.6)', () => {
  const chips = withLabels(parseGpioinfo(fixture('gpioinfo-pi4-v1.txt')), parseGpiodetect(fixture('gpiodetect-pi4.txt')));

  it('lists both chips with labels and line counts', () => {
    expect(chips.map((chip) => [chip.name, chip.label, chip.numLines, chip.lines.length])).toEqual([
      ['gpiochip0', 'pinctrl-bcm2711', 58, 58],
      ['gpiochip1', 'raspberrypi-exp-gpio', 8, 8],
    ]);
  });

  it('reads an unused line', () => {
    expect(chips[0]!.lines[27]).toEqual({
      offset: 27,
      name: 'GPIO27',
      consumer: undefined,
      used: false,
      direction: 'input',
      activeLow: false,
    });
  });

  it('reads used lines with consumer and polarity', () => {
    expect(chips[0]!.lines[17]).toMatchObject({ name: 'GPIO17', consumer: 'gpioset', used: true, direction: 'output' });
    expect(chips[0]!.lines[22]).toMatchObject({ name: 'GPIO22', consumer: 'gpiomon', used: true, activeLow: true });
    expect(chips[1]!.lines[2]).toMatchObject({ name: 'PWR_LED_OFF', consumer: 'PWR', activeLow: true });
  });

  it('resolves GPIO27 to gpiochip0 offset 27', () => {
    expect(findLine(chips, { name: 'GPIO27' })).toEqual({
      found: true,
      line: { chip: 'gpiochip0', offset: 27, name: 'GPIO27', consumer: undefined },
    });
  });

  it('reports the holder of a used line', () => {
    const lookup = findLine(chips, { name: 'GPIO17' });
    expect(lookup).toMatchObject({ found: true, line: { consumer: 'gpioset' } });
  });
});

describe('parseGpioinfo on a Pi 5', () => {
  it('finds the header on gpiochip4 with early kernels', () => {
    const chips = parseGpioinfo(fixture('gpioinfo-pi5-early-kernel-v1.txt'));
    expect(chips.map((chip) => chip.name)).toEqual(['gpiochip0', 'gpiochip1', 'gpiochip2', 'gpiochip3', 'gpiochip4']);
    expect(findLine(chips, { name: 'GPIO17' })).toMatchObject({ found: true, line: { chip: 'gpiochip4', offset: 17 } });
  });

  it('finds the header on gpiochip0 with later kernels', () => {
    const chips = withLabels(parseGpioinfo(fixture('gpioinfo-pi5-v1.txt')), parseGpiodetect(fixture('gpiodetect-pi5.txt')));
    expect(chips[0]).toMatchObject({ name: 'gpiochip0', label: 'pinctrl-rp1', numLines: 54 });
    expect(findLine(chips, { name: 'GPIO17' })).toMatchObject({ found: true, line: { chip: 'gpiochip0', offset: 17 } });
  });

  it('does not confuse the same name on another chip', () => {
    // "2712_WAKE" exists on both the RP1 and a brcmstb chip; the tools take the first match in chip order.
    const chips = parseGpioinfo(fixture('gpioinfo-pi5-v1.txt'));
    expect(findLine(chips, { name: '2712_WAKE' })).toMatchObject({ line: { chip: 'gpiochip0', offset: 47 } });
    expect(findLine(chips, { name: '2712_WAKE', chip: 'gpiochip12' })).toMatchObject({ line: { chip: 'gpiochip12', offset: 8 } });
  });

  it('reads the v2 attribute format', () => {
    const chips = parseGpioinfo(fixture('gpioinfo-pi5-v2.txt'));
    expect(chips).toHaveLength(5);
    expect(chips[0]!.lines[17]).toEqual({
      offset: 17,
      name: 'GPIO17',
      consumer: 'facegate',
      used: true,
      direction: 'output',
      activeLow: true,
    });
    expect(chips[0]!.lines[27]).toMatchObject({ direction: 'input', activeLow: true, consumer: 'facegate' });
    expect(chips[0]!.lines[5]).toMatchObject({ name: 'GPIO5', used: false, consumer: undefined });
    expect(chips[3]!.lines[2]).toMatchObject({ name: 'RP1_RUN', consumer: 'RP1 RUN pin' });
  });
});

describe('findLine failures', () => {
  const chips = withLabels(parseGpioinfo(fixture('gpioinfo-pi4-v1.txt')), parseGpiodetect(fixture('gpiodetect-pi4.txt')));

  it('reports a missing name', () => {
    expect(findLine(chips, { name: 'GPIO40' })).toEqual({ found: false, reason: 'name-not-found' });
  });

  it('reports a missing chip', () => {
    expect(findLine(chips, { chip: 'gpiochip4', offset: 17 })).toEqual({ found: false, reason: 'chip-not-found' });
    expect(findLine(chips, { name: 'GPIO17', chip: 'gpiochip4' })).toEqual({ found: false, reason: 'chip-not-found' });
  });

  it('reports an offset past the chip', () => {
    expect(findLine(chips, { chip: 'gpiochip1', offset: 8 })).toMatchObject({ found: false, reason: 'offset-out-of-range' });
    expect(findLine(chips, { chip: 'gpiochip1', offset: -1 })).toMatchObject({ found: false, reason: 'offset-out-of-range' });
  });

  it('describes searched chips for the error message', () => {
    expect(describeChips(chips)).toBe('gpiochip0 [pinctrl-bcm2711] (58 lines), gpiochip1 [raspberrypi-exp-gpio] (8 lines)');
    expect(describeChips([])).toBe('none');
  });
});

describe('tool arguments', () => {
  const request = { chip: 'gpiochip0', offset: 17, activeLow: true, consumer: 'facegate' };

  it('builds gpioset for v1 and v2', () => {
    expect(buildSetArgs(V1, { ...request, value: true })).toEqual(['--mode=signal', '--active-low', 'gpiochip0', '17=1']);
    expect(buildSetArgs(V1, { ...request, activeLow: false, value: false })).toEqual(['--mode=signal', 'gpiochip0', '17=0']);
    expect(buildSetArgs(V2, { ...request, value: true })).toEqual([
      '--chip', 'gpiochip0', '--consumer', 'facegate', '--active-low', '17=1',
    ]);
  });

  it('builds gpioget with bias spelled per version', () => {
    expect(buildGetArgs(V1, { ...request, bias: 'pull-up' })).toEqual(['--active-low', '--bias=pull-up', 'gpiochip0', '17']);
    expect(buildGetArgs(V1, { ...request, activeLow: false, bias: 'as-is' })).toEqual(['gpiochip0', '17']);
    expect(buildGetArgs(V2, { ...request, bias: 'disable' })).toEqual([
      '--chip', 'gpiochip0', '--consumer', 'facegate', '--active-low', '--bias', 'disabled', '17',
    ]);
  });

  it('builds gpiomon with line buffering for v1 and kernel debounce for v2', () => {
    expect(buildMonArgs(V1, { ...request, bias: 'pull-up', debounceMs: 50 })).toEqual([
      '--line-buffered', '--format=%e %s %n', '--active-low', '--bias=pull-up', 'gpiochip0', '17',
    ]);
    expect(buildMonArgs(V2, { ...request, bias: 'as-is', debounceMs: 50 })).toEqual([
      '--chip', 'gpiochip0', '--consumer', 'facegate', '--format', '%e %S', '--active-low',
      '--debounce-period', '50000us', '17',
    ]);
    expect(buildMonArgs(V2, { ...request, activeLow: false, bias: 'pull-down', debounceMs: 0 })).toEqual([
      '--chip', 'gpiochip0', '--consumer', 'facegate', '--format', '%e %S', '--bias', 'pull-down', '17',
    ]);
  });
});

describe('tool output', () => {
  it('parses gpioget in every form', () => {
    expect(parseGetOutput('1\n')).toBe(true);
    expect(parseGetOutput('0\n')).toBe(false);
    expect(parseGetOutput('"17"=active\n')).toBe(true);
    expect(parseGetOutput('GPIO17=inactive\n')).toBe(false);
    expect(parseGetOutput('gpioget: error')).toBeUndefined();
  });

  it('parses v1 gpiomon edges with unpadded nanoseconds', () => {
    expect(parseMonLine(V1, '1 4021 5000')).toEqual({ value: true, timestampNs: 4_021_000_005_000n });
    expect(parseMonLine(V1, '0 4021 123456789\n')).toEqual({ value: false, timestampNs: 4_021_123_456_789n });
    expect(parseMonLine(V1, 'event:  RISING EDGE offset: 17')).toBeUndefined();
  });

  it('parses v2 gpiomon edges with edge code 2 for falling', () => {
    expect(parseMonLine(V2, '1 4021.000005000')).toEqual({ value: true, timestampNs: 4_021_000_005_000n });
    expect(parseMonLine(V2, '2 4021.123456789')).toEqual({ value: false, timestampNs: 4_021_123_456_789n });
    expect(parseMonLine(V2, '0 4021.1')).toBeUndefined();
  });

  it('classifies libgpiod error text', () => {
    expect(classifyToolError('gpioset: error setting the GPIO line values: Permission denied\n')).toBe('permission');
    expect(classifyToolError('gpiomon: error waiting for events: Device or resource busy')).toBe('busy');
    expect(classifyToolError('gpioget: error reading GPIO values: No such file or directory')).toBe('no-device');
    expect(classifyToolError("gpioget: cannot find line 'GPIO99'")).toBe('not-found');
    expect(classifyToolError('gpioset: out of memory')).toBe('other');
  });
});
