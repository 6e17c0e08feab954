/**
 * Argument building and output parsing for the libgpiod command-line tools, v1 (Debian 12 package `gpiod` 1.6)
 * and v2 (Debian 13 and later). Pure functions, so they are tested on sample outputs without a GPIO chip.
 */
import type { Bias, LineSpec } from './types.js';

export interface ToolVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parse the first line of `gpioset --version`, such as `gpioset (libgpiod) v1.6.3`. */
export function parseToolVersion(output: string): ToolVersion | undefined {
  const match = /\(libgpiod\)\s+v(\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

export interface GpioLineInfo {
  offset: number;
  name: string | undefined;
  /** Consumer label when the line is requested, or `kernel` for a line a kernel driver uses without a label. */
  consumer: string | undefined;
  used: boolean;
  direction: 'input' | 'output';
  activeLow: boolean;
}

export interface GpioChipInfo {
  /** Character device name, such as `gpiochip0`. */
  name: string;
  /** Driver label from `gpiodetect`, such as `pinctrl-rp1`, when known. */
  label: string | undefined;
  numLines: number;
  lines: GpioLineInfo[];
}

const CHIP_HEADER = /^(\S+) - (\d+) lines:\s*$/;
const LINE_PREFIX = /^\s+line\s+(\d+):\s+(?:"([^"]*)"|unnamed)\s+(.*)$/;

/** Parse the full `gpioinfo` listing in either the v1 or the v2 format. */
export function parseGpioinfo(output: string): GpioChipInfo[] {
  const chips: GpioChipInfo[] = [];
  let current: GpioChipInfo | undefined;
  for (const line of output.split('\n')) {
    const header = CHIP_HEADER.exec(line);
    if (header) {
      current = { name: header[1]!, label: undefined, numLines: Number(header[2]), lines: [] };
      chips.push(current);
      continue;
    }
    const entry = LINE_PREFIX.exec(line);
    if (!entry || !current) continue;
    const attributes = parseLineAttributes(entry[3]!);
    if (!attributes) continue;
    current.lines.push({ offset: Number(entry[1]), name: entry[2], ...attributes });
  }
  return chips;
}

type LineAttributes = Omit<GpioLineInfo, 'offset' | 'name'>;

function parseLineAttributes(rest: string): LineAttributes | undefined {
  // v2: `input active-low bias=pull-up edges=both consumer="gpiomon"`
  const v2 = /^(input|output)\b(.*)$/.exec(rest);
  if (v2) {
    const tail = v2[2]!;
    const consumer = /\bconsumer=(?:"([^"]*)"|(\S+))/.exec(tail);
    const consumerName = consumer ? (consumer[1] ?? consumer[2]) : undefined;
    return {
      direction: v2[1] as 'input' | 'output',
      activeLow: /(^|\s)active-low(\s|$)/.test(tail),
      consumer: consumerName,
      used: consumer !== null,
    };
  }
  // v1: `"gpioset"  output  active-high [used]` or `unused   input  active-high`
  const v1 = /^(unused|kernel|used|"([^"]*)")\s+(input|output)\s+(active-high|active-low)\b(.*)$/.exec(rest);
  if (!v1) return undefined;
  const column = v1[1]!;
  const used = column !== 'unused';
  return {
    direction: v1[3] as 'input' | 'output',
    activeLow: v1[4] === 'active-low',
    consumer: v1[2] ?? (column === 'kernel' || column === 'used' ? 'kernel' : undefined),
    used,
  };
}

export interface GpioChipSummary {
  name: string;
  label: string;
  numLines: number;
}

/** Parse `gpiodetect` lines such as `gpiochip0 [pinctrl-bcm2711] (58 lines)`. */
export function parseGpiodetect(output: string): GpioChipSummary[] {
  const chips: GpioChipSummary[] = [];
  for (const line of output.split('\n')) {
    const match = /^(\S+) \[(.*)\] \((\d+) lines\)\s*$/.exec(line);
    if (match) chips.push({ name: match[1]!, label: match[2]!, numLines: Number(match[3]) });
  }
  return chips;
}

/** Copy the `gpiodetect` labels onto the `gpioinfo` chips, matching by chip name. */
export function withLabels(chips: GpioChipInfo[], summaries: GpioChipSummary[]): GpioChipInfo[] {
  const labels = new Map(summaries.map((summary) => [summary.name, summary.label]));
  return chips.map((chip) => ({ ...chip, label: labels.get(chip.name) ?? chip.label }));
}

/** Describe chips as error messages show them: `gpiochip0 [pinctrl-bcm2711] (58 lines)`. */
export function describeChips(chips: GpioChipInfo[]): string {
  if (chips.length === 0) return 'none';
  return chips
    .map((chip) => `${chip.name}${chip.label ? ` [${chip.label}]` : ''} (${chip.numLines} lines)`)
    .join(', ');
}

export interface ResolvedLine {
  chip: string;
  offset: number;
  name: string | undefined;
  /** Current holder of the line, if another process or a driver has requested it. */
  consumer: string | undefined;
}

export type LineLookup =
  | { found: true; line: ResolvedLine }
  | { found: false; reason: 'name-not-found' | 'chip-not-found' | 'offset-out-of-range'; chip?: GpioChipInfo };

/**
 * Find a line in a parsed listing. A name is matched exactly, first match in chip order,
 * as the libgpiod tools do; a chip narrows the search to that chip.
 */
export function findLine(chips: GpioChipInfo[], spec: LineSpec): LineLookup {
  if ('name' in spec) {
    const searched = spec.chip === undefined ? chips : chips.filter((chip) => chip.name === spec.chip);
    if (spec.chip !== undefined && searched.length === 0) return { found: false, reason: 'chip-not-found' };
    for (const chip of searched) {
      const line = chip.lines.find((candidate) => candidate.name === spec.name);
      if (line) return { found: true, line: toResolved(chip, line) };
    }
    return { found: false, reason: 'name-not-found' };
  }
  const chip = chips.find((candidate) => candidate.name === spec.chip);
  if (!chip) return { found: false, reason: 'chip-not-found' };
  if (!Number.isInteger(spec.offset) || spec.offset < 0 || spec.offset >= chip.numLines) {
    return { found: false, reason: 'offset-out-of-range', chip };
  }
  const line = chip.lines.find((candidate) => candidate.offset === spec.offset);
  return {
    found: true,
    line: line ? toResolved(chip, line) : { chip: chip.name, offset: spec.offset, name: undefined, consumer: undefined },
  };
}

function toResolved(chip: GpioChipInfo, line: GpioLineInfo): ResolvedLine {
  return { chip: chip.name, offset: line.offset, name: line.name, consumer: line.used ? line.consumer : undefined };
}

export interface ToolLineRequest {
  chip: string;
  offset: number;
  activeLow: boolean;
  /** Consumer label shown by `gpioinfo`; only the v2 tools accept one. */
  consumer: string;
}

/** v1 line options: `--active-low` and `--bias=<bias>`, spelled as libgpiod 1.6 does. */
function v1LineFlags(request: ToolLineRequest, bias: Bias = 'as-is'): string[] {
  return [...(request.activeLow ? ['--active-low'] : []), ...(bias !== 'as-is' ? [`--bias=${bias}`] : [])];
}

/** v2 chip and consumer options, which come before the line options. */
function v2Target(request: ToolLineRequest): string[] {
  return ['--chip', request.chip, '--consumer', request.consumer];
}

/** v2 line options. libgpiod 2 spells the disabled bias `disabled` and has no `as-is` value. */
function v2LineFlags(request: ToolLineRequest, bias: Bias = 'as-is'): string[] {
  const biasFlags = bias === 'as-is' ? [] : ['--bias', bias === 'disable' ? 'disabled' : bias];
  return [...(request.activeLow ? ['--active-low'] : []), ...biasFlags];
}

/** Build the arguments for a `gpioset` that drives one line and keeps driving it until SIGTERM. */
export function buildSetArgs(version: ToolVersion, request: ToolLineRequest & { value: boolean }): string[] {
  const assignment = `${request.offset}=${request.value ? 1 : 0}`;
  if (version.major < 2) return ['--mode=signal', ...v1LineFlags(request), request.chip, assignment];
  // v2 gpioset keeps the line requested until it is killed, unless --toggle ends it.
  return [...v2Target(request), ...v2LineFlags(request), assignment];
}

/** Build the arguments for a one-shot `gpioget` of one line. */
export function buildGetArgs(version: ToolVersion, request: ToolLineRequest & { bias: Bias }): string[] {
  if (version.major < 2) return [...v1LineFlags(request, request.bias), request.chip, String(request.offset)];
  return [...v2Target(request), ...v2LineFlags(request, request.bias), String(request.offset)];
}

/** Edge output format requested from `gpiomon`: v1 prints `<edge> <sec> <nsec>`, v2 prints `<edge> <sec>.<nsec>`. */
export const MON_FORMAT_V1 = '%e %s %n';
export const MON_FORMAT_V2 = '%e %S';

/**
 * Build the arguments for a `gpiomon` that reports both edges of one line. Only v2 passes a debounce period,
 * which the kernel applies; with v1 the caller debounces in software.
 */
export function buildMonArgs(
  version: ToolVersion,
  request: ToolLineRequest & { bias: Bias; debounceMs: number },
): string[] {
  if (version.major < 2) {
    // v1 writes events with printf, so without line buffering they wait in the pipe buffer.
    const output = ['--line-buffered', `--format=${MON_FORMAT_V1}`];
    return [...output, ...v1LineFlags(request, request.bias), request.chip, String(request.offset)];
  }
  const debounce = request.debounceMs > 0 ? ['--debounce-period', `${Math.round(request.debounceMs * 1000)}us`] : [];
  return [
    ...v2Target(request),
    '--format',
    MON_FORMAT_V2,
    ...v2LineFlags(request, request.bias),
    ...debounce,
    String(request.offset),
  ];
}

/** Parse `gpioget` output: v1 prints `1`, v2 prints `"17"=active` or, with `--numeric`, `1`. */
export function parseGetOutput(output: string): boolean | undefined {
  const text = output.trim();
  const named = /=(active|inactive)$/.exec(text);
  if (named) return named[1] === 'active';
  if (text === '1') return true;
  if (text === '0') return false;
  return undefined;
}

export interface MonEvent {
  /** Logical value after the edge: a rising edge means the line became active. */
  value: boolean;
  timestampNs: bigint;
}

/** Parse one `gpiomon` line written with MON_FORMAT_V1 or MON_FORMAT_V2. */
export function parseMonLine(version: ToolVersion, line: string): MonEvent | undefined {
  const text = line.trim();
  if (version.major < 2) {
    // v1 edge codes: 1 rising, 0 falling; seconds and nanoseconds are printed without padding.
    const match = /^([01]) (\d+) (\d+)$/.exec(text);
    if (!match) return undefined;
    return { value: match[1] === '1', timestampNs: BigInt(match[2]!) * 1_000_000_000n + BigInt(match[3]!) };
  }
  // v2 edge codes: 1 rising, 2 falling; the timestamp is seconds with nine decimal places.
  const match = /^([12]) (\d+)\.(\d{1,9})$/.exec(text);
  if (!match) return undefined;
  const nanoseconds = BigInt(match[3]!.padEnd(9, '0'));
  return { value: match[1] === '1', timestampNs: BigInt(match[2]!) * 1_000_000_000n + nanoseconds };
}

export type ToolFailureKind = 'permission' | 'busy' | 'no-device' | 'not-found' | 'other';

/** Classify a tool's standard error by the errno text libgpiod appends (`strerror`) or its lookup messages. */
export function classifyToolError(stderr: string): ToolFailureKind {
  if (/Permission denied|Operation not permitted/i.test(stderr)) return 'permission';
  if (/Device or resource busy/i.test(stderr)) return 'busy';
  if (/cannot find line|offset \d+ is out of range|Invalid argument/i.test(stderr)) return 'not-found';
  if (/No such file or directory|No such device|cannot find GPIO chip/i.test(stderr)) return 'no-device';
  return 'other';
}

/** Extract the last non-empty lines of a tool's standard error, for log records and error details. */
export function stderrTail(stderr: string, lines = 5): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(-lines)
    .join(' | ');
}
