import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gpioError } from './messages.js';
import { describeLineSpec, type LineSpec } from './types.js';

/** One chip as the legacy sysfs interface shows it under /sys/class/gpio/gpiochipBASE. */
export interface SysfsChip {
  /** Directory name, `gpiochip` followed by the base: `gpiochip571`. */
  dir: string;
  /** First global GPIO number of the chip; 512 and up on current kernels, so never assume 0. */
  base: number;
  ngpio: number;
  label: string;
  /** Character device name of the same chip (`gpiochip0`), when sysfs links it. */
  device: string | undefined;
}

/** Labels of the pin controllers that own the 40-pin header on Raspberry Pi 1–4 and 5. */
export const HEADER_CHIP_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

/** Read every chip in the sysfs GPIO folder (normally /sys/class/gpio); an empty list when it has none. */
export async function readSysfsChips(classDir: string): Promise<SysfsChip[]> {
  const entries = (await readdir(classDir)).filter((entry) => /^gpiochip\d+$/.test(entry));
  const chips: SysfsChip[] = [];
  for (const dir of entries) {
    const chipDir = path.join(classDir, dir);
    const read = async (name: string): Promise<string> => (await readFile(path.join(chipDir, name), 'utf8')).trim();
    chips.push({
      dir,
      base: Number(await read('base')),
      ngpio: Number(await read('ngpio')),
      label: await read('label'),
      device: await findCharDevice(chipDir),
    });
  }
  return chips.sort((left, right) => left.base - right.base);
}

/** Find the character device name of a sysfs chip: its parent device also contains `device/gpiochipN`. */
async function findCharDevice(chipDir: string): Promise<string | undefined> {
  try {
    return (await readdir(path.join(chipDir, 'device'))).find((entry) => /^gpiochip\d+$/.test(entry));
  } catch {
    return undefined;
  }
}

export function describeSysfsChips(chips: SysfsChip[]): string {
  if (chips.length === 0) return 'none';
  return chips
    .map((chip) => `${chip.device ?? chip.dir} [${chip.label}] (base ${chip.base}, ${chip.ngpio} lines)`)
    .join(', ');
}

function findChip(chips: SysfsChip[], id: string): SysfsChip | undefined {
  return (
    chips.find((chip) => chip.device === id) ??
    chips.find((chip) => chip.label === id) ??
    chips.find((chip) => chip.dir === id)
  );
}

/**
 * Compute the global sysfs number of a line: the chip's base plus the offset. A chip is matched by
 * character device name, label or sysfs directory. sysfs has no line names, so a name is accepted only
 * in the Raspberry Pi form `GPIO<offset>` on the header pin controller.
 */
export function sysfsNumber(chips: SysfsChip[], spec: LineSpec): number {
  const line = describeLineSpec(spec);
  let chip: SysfsChip | undefined;
  let offset: number;

  if ('name' in spec) {
    const match = /^GPIO(\d+)$/.exec(spec.name);
    chip =
      spec.chip === undefined
        ? chips.find((candidate) => HEADER_CHIP_LABELS.includes(candidate.label))
        : findChip(chips, spec.chip);
    if (!match || !chip) throw gpioError('gpio.sysfs_name_unsupported', { line });
    offset = Number(match[1]);
  } else {
    chip = findChip(chips, spec.chip);
    if (!chip) throw gpioError('gpio.chip_not_found', { chip: spec.chip, line, chips: describeSysfsChips(chips) });
    offset = spec.offset;
  }

  if (!Number.isInteger(offset) || offset < 0 || offset >= chip.ngpio) {
    throw gpioError('gpio.offset_out_of_range', { line, offset, chip: chip.device ?? chip.dir, lines: chip.ngpio });
  }
  return chip.base + offset;
}

/**
 * Choose the onoff direction that requests an output already at its first value. The kernel applies `high`
 * and `low` as raw pin levels, ignoring active_low, so an active-low line that starts inactive needs `high`.
 */
export function initialDirection(activeLow: boolean, initial: boolean): 'high' | 'low' {
  return initial !== activeLow ? 'high' : 'low';
}
