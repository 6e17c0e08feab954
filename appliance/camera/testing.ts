import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';
import sharp from 'sharp';

import { testDataDir } from '../common/paths.js';
import { cameraSchema, type CameraConfig } from '../config/schema.js';

// Helpers for the camera tests: test media built from the shared face photos, and a logger that records.

const run = promisify(execFile);

/** Photos from the shared test set with clearly different mean colours, read in place. */
export const TEST_PHOTOS = ['faces/lfw/aaron_peirsol/0001.jpg', 'faces/deepface/id_01/1.jpg', 'faces/deepface/id_03/5.jpg'].map(
  (relative) => path.join(testDataDir(), relative),
);

/**
 * Encode `photos` into an H.264 video, `framesEach` frames per photo at `fps`, letterboxed to
 * width×height, and return the exact number of frames written.
 */
export async function makeTestVideo(
  output: string,
  options: { photos?: readonly string[]; framesEach: number; fps: number; width?: number; height?: number },
): Promise<number> {
  const photos = options.photos ?? TEST_PHOTOS;
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const seconds = options.framesEach / options.fps;
  const inputs = photos.flatMap((photo) => ['-loop', '1', '-framerate', String(options.fps), '-t', seconds.toFixed(6), '-i', photo]);
  const scaled = photos.map(
    (_, index) =>
      `[${index}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[v${index}]`,
  );
  const joined = `${photos.map((_, index) => `[v${index}]`).join('')}concat=n=${photos.length}:v=1:a=0[out]`;
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    ...inputs,
    '-filter_complex', [...scaled, joined].join(';'),
    '-map', '[out]',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '12', '-g', String(options.fps),
    '-r', String(options.fps),
    output,
  ]);
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', output,
  ]);
  return Number.parseInt(stdout.trim(), 10);
}

/** Mean R, G and B of a photo turned upright by its EXIF orientation and letterboxed onto black, as ffmpeg does it. */
export async function letterboxedMean(photo: string, width = 640, height = 480): Promise<[number, number, number]> {
  const { data } = await sharp(await readFile(photo))
    .rotate()
    .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return meanRgb(data);
}

export function meanRgb(data: Buffer): [number, number, number] {
  const sums = [0, 0, 0];
  for (let index = 0; index < data.length; index += 3) {
    sums[0]! += data[index]!;
    sums[1]! += data[index + 1]!;
    sums[2]! += data[index + 2]!;
  }
  const pixels = data.length / 3;
  return [sums[0]! / pixels, sums[1]! / pixels, sums[2]! / pixels];
}

export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((value, index) => Math.abs(value - b[index]!)));
}

export interface RecordingLogger {
  readonly logger: Logger;
  /** Every log line written so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** Every log line as written, for checks that nothing secret was logged. */
  readonly raw: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, raw };
}

export interface TimingOverrides {
  stallTimeoutMs?: number;
  startTimeoutMs?: number;
  backoff?: Partial<CameraConfig['backoff']>;
}

/**
 * Build a camera configuration with the schema's defaults. Timing overrides are applied after
 * validation, so tests can use delays shorter than a production configuration allows.
 */
export function cameraConfig<T extends CameraConfig>(input: Record<string, unknown>, timing: TimingOverrides = {}): T {
  const config = cameraSchema.parse(input) as T;
  return {
    ...config,
    ...(timing.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: timing.stallTimeoutMs }),
    ...(timing.startTimeoutMs === undefined ? {} : { startTimeoutMs: timing.startTimeoutMs }),
    backoff: { ...config.backoff, ...timing.backoff },
  };
}

/** Process ids of the ffmpeg child processes of this process. */
export function ffmpegChildPids(): number[] {
  const output = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, command]) => command === 'ffmpeg')
    .map(([pid]) => Number(pid));
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
