import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { initialDirection, readSysfsChips, sysfsNumber } from './sysfs-chips.js';
import { SysfsGpio } from './sysfs.js';

interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
  device?: string;
}

// Chip bases as a Raspberry Pi 5 shows them on kernel 6.6 and later: the RP1 header controller is not at 0.
const PI5: FakeChip[] = [
  { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500', device: 'gpiochip10' },
  { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520', device: 'gpiochip11' },
  { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00', device: 'gpiochip12' },
  { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20', device: 'gpiochip13' },
  { base: 571, ngpio: 54, label: 'pinctrl-rp1', device: 'gpiochip0' },
];
const PI4_OLD_KERNEL: FakeChip[] = [
  { base: 0, ngpio: 58, label: 'pinctrl-bcm2711', device: 'gpiochip0' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio', device: 'gpiochip1' },
];
const PI4: FakeChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

let root: string;

function fakeSysfs(chips: FakeChip[]): string {
  const classDir = path.join(root, `sys-${Math.random().toString(36).slice(2)}`, 'class', 'gpio');
  mkdirSync(classDir, { recursive: true });
  writeFileSync(path.join(classDir, 'export'), '');
  for (const chip of chips) {
    const dir = path.join(classDir, `gpiochip${chip.base}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'base'), `${chip.base}\n`);
    writeFileSync(path.join(dir, 'ngpio'), `${chip.ngpio}\n`);
    writeFileSync(path.join(dir, 'label'), `${chip.label}\n`);
    if (chip.device) mkdirSync(path.join(dir, 'device', chip.device), { recursive: true });
  }
  return classDir;
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'facegate-sysfs-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('sysfs numbering', () => {
  it('adds the Pi 5 header base to the offset', async () => {
    const chips = await readSysfsChips(fakeSysfs(PI5));
    expect(chips.map((chip) => [chip.dir, chip.base, chip.device])).toEqual([
      ['gpiochip512', 512, 'gpiochip10'],
      ['gpiochip544', 544, 'gpiochip11'],
      ['gpiochip548', 548, 'gpiochip12'],
      ['gpiochip565', 565, 'gpiochip13'],
      ['gpiochip571', 571, 'gpiochip0'],
    ]);
    expect(sysfsNumber(chips, { name: 'GPIO17' })).toBe(588);
    expect(sysfsNumber(chips, { chip: 'pinctrl-rp1', offset: 17 })).toBe(588);
    expect(sysfsNumber(chips, { chip: 'gpiochip0', offset: 17 })).toBe(588);
    expect(sysfsNumber(chips, { chip: 'gpiochip571', offset: 0 })).toBe(571);
  });

  it('handles the Pi 4 at base 512 and at base 0', async () => {
    expect(sysfsNumber(await readSysfsChips(fakeSysfs(PI4)), { name: 'GPIO17' })).toBe(529);
    const old = await readSysfsChips(fakeSysfs(PI4_OLD_KERNEL));
    expect(sysfsNumber(old, { name: 'GPIO17' })).toBe(17);
    expect(sysfsNumber(old, { chip: 'gpiochip1', offset: 2 })).toBe(506);
  });

  it('rejects names sysfs cannot resolve', async () => {
    const chips = await readSysfsChips(fakeSysfs(PI5));
    expect(() => sysfsNumber(chips, { name: 'FAN_PWM' })).toThrow(
      expect.objectContaining({ code: 'gpio.sysfs_name_unsupported' }),
    );
    const noHeader = await readSysfsChips(fakeSysfs([{ base: 0, ngpio: 164, label: 'tegra234-gpio' }]));
    expect(() => sysfsNumber(noHeader, { name: 'GPIO17' })).toThrow(
      expect.objectContaining({ code: 'gpio.sysfs_name_unsupported' }),
    );
  });

  it('rejects unknown chips and offsets past the chip', async () => {
    const chips = await readSysfsChips(fakeSysfs(PI5));
    expect(() => sysfsNumber(chips, { chip: 'gpiochip4', offset: 17 })).toThrow(
      expect.objectContaining({ code: 'gpio.chip_not_found' }),
    );
    expect(() => sysfsNumber(chips, { chip: 'pinctrl-rp1', offset: 54 })).toThrow(
      expect.objectContaining({ code: 'gpio.offset_out_of_range', message: expect.stringContaining('gpiochip0 has 54 lines') }),
    );
  });

  it('requests the first level as a raw pin level', () => {
    expect(initialDirection(false, false)).toBe('low');
    expect(initialDirection(false, true)).toBe('high');
    // An active-low relay starts de-energised with the pin high.
    expect(initialDirection(true, false)).toBe('high');
    expect(initialDirection(true, true)).toBe('low');
  });
});

describe('SysfsGpio', () => {
  it('reports a kernel without sysfs GPIO', async () => {
    const gpio = new SysfsGpio({ logger: silentLogger(), sysfsRoot: path.join(root, 'empty') });
    const error = await gpio.start().then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('gpio.sysfs_unavailable');
    expect((error as FacegateError).hint).toContain('gpio.type: chardev');
  });

  it('reads bases at start and numbers lines from them', async () => {
    const gpio = new SysfsGpio({ logger: silentLogger(), sysfsRoot: fakeSysfs(PI5) });
    await gpio.start();
    expect(gpio.chips).toHaveLength(5);
    expect(gpio.numberOf({ name: 'GPIO27' })).toBe(598);
  });

  // onoff hard-codes /sys/class/gpio and exports lines for real, so opening lines needs a kernel with
  // CONFIG_GPIO_SYSFS and a GPIO chip; this machine has neither. hardware-tests/ covers it on a board.
  it.skipIf(!existsSync('/sys/class/gpio/export'))('opens a line through onoff', async () => {
    const gpio = new SysfsGpio({ logger: silentLogger() });
    await gpio.start();
    expect(gpio.chips.length).toBeGreaterThan(0);
  });
});
