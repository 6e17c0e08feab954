import fs from 'node:fs/promises';

export const CPU_THERMAL_ZONE = '/sys/class/thermal/thermal_zone0/temp';

/** SoC temperature in °C from a thermal zone (millidegrees in sysfs), or null where the board has none. */
export async function readCpuTemperature(file = CPU_THERMAL_ZONE): Promise<number | null> {
  try {
    const millidegrees = Number((await fs.readFile(file, 'utf8')).trim());
    if (!Number.isFinite(millidegrees)) return null;
    const celsius = Math.round(millidegrees / 100) / 10;
    return celsius >= -60 && celsius <= 200 ? celsius : null;
  } catch {
    return null;
  }
}

/** Bytes free for an unprivileged writer on the file system holding `dir`, or null when it cannot be read. */
export async function readFreeDisk(dir: string): Promise<number | null> {
  try {
    const stats = await fs.statfs(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}
