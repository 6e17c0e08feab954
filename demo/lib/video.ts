import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

/** One stretch of the gate video: a photo held in front of the camera, or the empty scene. */
export interface Segment {
  /** Photo to show, or null for the empty scene. */
  photo: string | null;
  seconds: number;
  /**
   * `portrait`: a passport-style head shot (LFW, 250x250) scaled to the frame height and centred,
   * as a person standing at the gate fills the picture. `letterbox`: the whole photo fitted in.
   */
  fit?: 'portrait' | 'letterbox';
}

export interface VideoOptions {
  fps?: number;
  width?: number;
  height?: number;
  /** Folder for the rendered still frames; removed afterwards. */
  workDir: string;
}

const BACKGROUND = { r: 128, g: 128, b: 128 };

/**
 * Render each segment as a still on a grey background and encode them with ffmpeg into one H.264
 * video. The grey canvas matters: the liveness model looks at 2.7 times the face box, so a face
 * photo cropped tight to its edges would show the model hard borders instead of a scene.
 */
export async function buildGateVideo(output: string, segments: readonly Segment[], options: VideoOptions): Promise<{ frames: number; seconds: number }> {
  const fps = options.fps ?? 15;
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  fs.mkdirSync(options.workDir, { recursive: true });

  const stills: string[] = [];
  for (const [index, segment] of segments.entries()) {
    const file = path.join(options.workDir, `still-${index}.png`);
    await renderStill(segment, width, height, file);
    stills.push(file);
  }

  const inputs = segments.flatMap((segment, index) => ['-loop', '1', '-framerate', String(fps), '-t', segment.seconds.toFixed(6), '-i', stills[index]!]);
  const labels = segments.map((_, index) => `[${index}:v]`).join('');
  try {
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      ...inputs,
      '-filter_complex', `${labels}concat=n=${segments.length}:v=1:a=0,format=yuv420p[out]`,
      '-map', '[out]',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-g', String(fps), '-r', String(fps),
      output,
    ]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`ffmpeg could not build ${output}: ${stderr.trim()}`);
  } finally {
    for (const still of stills) fs.rmSync(still, { force: true });
  }
  const seconds = segments.reduce((sum, segment) => sum + segment.seconds, 0);
  return { frames: Math.round(seconds * fps), seconds };
}

async function renderStill(segment: Segment, width: number, height: number, file: string): Promise<void> {
  const canvas = sharp({ create: { width, height, channels: 3, background: BACKGROUND } });
  if (segment.photo === null) {
    await canvas.png().toFile(file);
    return;
  }
  const photo =
    (segment.fit ?? 'portrait') === 'portrait'
      ? await sharp(segment.photo).rotate().resize(height, height, { fit: 'cover' }).toBuffer()
      : await sharp(segment.photo).rotate().resize(width, height, { fit: 'contain', background: BACKGROUND }).toBuffer();
  await canvas.composite([{ input: photo, gravity: 'centre' }]).removeAlpha().png().toFile(file);
}
