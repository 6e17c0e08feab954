import fs from 'node:fs';
import type { Logger } from '../common/logger.js';

/**
 * USB badge readers and PIN keypads that present themselves as keyboards: they "type" the badge
 * number or the PIN, then Enter. The Linux input subsystem delivers their keys on
 * `/dev/input/eventN` as `struct input_event` records (linux/input.h), 24 bytes each on 64-bit
 * kernels: `tv_sec` and `tv_usec` (8 bytes each), `type` (u16), `code` (u16), `value` (s32).
 */

export const INPUT_EVENT_BYTES = 24;
const EV_KEY = 1;
const KEY_PRESS = 1;

/** Key codes from linux/input-event-codes.h, for digits, Enter and the keys that clear an entry. */
const DIGIT_KEYS = new Map<number, string>([
  [2, '1'], [3, '2'], [4, '3'], [5, '4'], [6, '5'], [7, '6'], [8, '7'], [9, '8'], [10, '9'], [11, '0'],
  [79, '1'], [80, '2'], [81, '3'], [75, '4'], [76, '5'], [77, '6'], [71, '7'], [72, '8'], [73, '9'], [82, '0'],
]);
const ENTER_KEYS = new Set([28, 96]);
/** Escape, Backspace and the keypad's `*`: start the entry again. */
const CLEAR_KEYS = new Set([1, 14, 55]);

/** Maximum entry length; a badge number or PIN is far shorter, so more means a stuck key. */
const MAX_ENTRY_LENGTH = 32;

/**
 * Turns a stream of input_event records into entered lines: digits up to Enter. Chunks may split
 * records anywhere; the remainder waits for the next chunk.
 */
export class KeyboardLineDecoder {
  private pending = Buffer.alloc(0);
  private entry = '';

  /** Add bytes read from the device; returns the lines completed by them. */
  push(chunk: Buffer): string[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let offset = 0;
    for (; offset + INPUT_EVENT_BYTES <= data.length; offset += INPUT_EVENT_BYTES) {
      const type = data.readUInt16LE(offset + 16);
      const code = data.readUInt16LE(offset + 18);
      const value = data.readInt32LE(offset + 20);
      if (type !== EV_KEY || value !== KEY_PRESS) continue;
      const line = this.key(code);
      if (line !== undefined) lines.push(line);
    }
    this.pending = Buffer.from(data.subarray(offset));
    return lines;
  }

  private key(code: number): string | undefined {
    const digit = DIGIT_KEYS.get(code);
    if (digit !== undefined) {
      this.entry = this.entry.length < MAX_ENTRY_LENGTH ? this.entry + digit : '';
      return undefined;
    }
    if (CLEAR_KEYS.has(code)) {
      this.entry = '';
      return undefined;
    }
    if (ENTER_KEYS.has(code) && this.entry !== '') {
      const line = this.entry;
      this.entry = '';
      return line;
    }
    return undefined;
  }
}

/** Build the input_event records of typing `text` (digits) and Enter; for tests and simulated readers. */
export function encodeTyping(text: string, timeSeconds = 0): Buffer {
  const codes: number[] = [];
  const byDigit = new Map([...DIGIT_KEYS.entries()].slice(0, 10).map(([code, digit]) => [digit, code]));
  for (const char of text) {
    const code = byDigit.get(char);
    if (code === undefined) throw new RangeError(`"${char}" cannot be typed: only digits`);
    codes.push(code);
  }
  codes.push(28);
  const records = codes.flatMap((code) => [record(EV_KEY, code, 1, timeSeconds), record(EV_KEY, code, 0, timeSeconds)]);
  return Buffer.concat(records);
}

function record(type: number, code: number, value: number, timeSeconds: number): Buffer {
  const buffer = Buffer.alloc(INPUT_EVENT_BYTES);
  buffer.writeBigInt64LE(BigInt(timeSeconds), 0);
  buffer.writeUInt16LE(type, 16);
  buffer.writeUInt16LE(code, 18);
  buffer.writeInt32LE(value, 20);
  return buffer;
}

export interface HidLineReaderOptions {
  /** Input device, e.g. `/dev/input/by-id/usb-…-event-kbd`. */
  device: string;
  onLine: (line: string) => void;
  logger: Logger;
}

/**
 * Reads a keyboard-like device and reports each entered line.
 * NOTE: the device is not grabbed, because EVIOCGRAB needs an ioctl that Node cannot issue without a
 * native module. A console on the same machine also receives the keys, so run the appliance without
 * a login console on the reader's keyboard.
 */
export class HidLineReader {
  private stream: fs.ReadStream | undefined;
  private readonly decoder = new KeyboardLineDecoder();

  constructor(private readonly options: HidLineReaderOptions) {}

  start(): void {
    const log = this.options.logger.child({ module: 'hid-reader', device: this.options.device });
    const stream = fs.createReadStream(this.options.device, { highWaterMark: INPUT_EVENT_BYTES * 64 });
    stream.on('data', (chunk) => {
      for (const line of this.decoder.push(chunk as Buffer)) this.options.onLine(line);
    });
    stream.on('error', (error) => log.error({ err: error }, 'reading the input device failed; PIN or badge entry is unavailable'));
    this.stream = stream;
    log.info('input device opened');
  }

  stop(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }
}
