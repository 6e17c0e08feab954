import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { FacegateError } from '../common/errors.js';
import type { FolderCameraConfig } from '../config/schema.js';
import { captureTiming, FFMPEG_COMMAND, FFMPEG_GLOBAL_ARGS, FfmpegCameraSource, ffmpegOutputArgs, type CameraDeps } from './ffmpeg.js';

const FORMATS: Record<string, 'jpeg' | 'png'> = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png' };

// Natural order, so 2.jpg comes before 10.jpg; ties broken by code point so the order never depends on the locale.
const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/**
 * List the images of a folder in natural name order. All must share one format, because ffmpeg's
 * concat demuxer keeps the decoder of the first file for the whole list.
 */
export async function listFolderImages(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FacegateError('camera.folderUnreadable', `cannot read image folder ${folder}: ${code ?? String(error)}`, {
      hint: 'check camera.path and that the facegate user may read the folder',
      params: { folder, detail: code ?? String(error) },
    });
  }

  const images = names.filter((name) => FORMATS[path.extname(name).toLowerCase()] !== undefined);
  if (images.length === 0) {
    throw new FacegateError('camera.folderEmpty', `image folder ${folder} contains no .jpg, .jpeg or .png files`, {
      hint: 'put the slideshow images in the folder or point camera.path at another one',
      params: { folder },
    });
  }
  const formats = new Set(images.map((name) => FORMATS[path.extname(name).toLowerCase()]));
  if (formats.size > 1) {
    throw new FacegateError('camera.folderMixed', `image folder ${folder} mixes JPEG and PNG files`, {
      hint: 'convert the images to one format',
      params: { folder },
    });
  }

  images.sort((a, b) => naturalOrder.compare(a, b) || compareCodePoints(a, b));
  return images.map((name) => path.join(folder, name));
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Write an ffmpeg concat list that shows each image for one frame at `fps`. */
export function concatList(files: readonly string[], fps: number): string {
  const duration = (1 / fps).toFixed(6);
  // In the concat syntax a quote inside a quoted name is written as '\''.
  const quote = (file: string): string => `'${file.replace(/'/g, "'\\''")}'`;
  const lines = ['ffconcat version 1.0'];
  for (const file of files) lines.push(`file ${quote(file)}`, `duration ${duration}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Build the ffmpeg arguments for a slideshow from a concat list. No fps filter: the list sets the
 * rate, and each image is one frame even when image sizes differ (which restarts the filter graph).
 */
export function folderArgs(config: FolderCameraConfig, listFile: string): string[] {
  return [
    ...FFMPEG_GLOBAL_ARGS,
    '-re',
    ...(config.loop ? ['-stream_loop', '-1'] : []),
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    listFile,
    ...ffmpegOutputArgs({ width: config.width, height: config.height }),
  ];
}

/** Create a slideshow source; the folder is listed again at every launch, so added images appear after a restart. */
export function createFolderSource(config: FolderCameraConfig, deps: CameraDeps): FfmpegCameraSource {
  const command = deps.ffmpegCommand ?? FFMPEG_COMMAND;
  return new FfmpegCameraSource({
    type: 'folder',
    description: config.path,
    width: config.width,
    height: config.height,
    timing: captureTiming(config),
    endOfInput: config.loop ? 'restart' : 'end',
    logger: deps.logger,
    plan: async () => {
      const files = await listFolderImages(config.path);
      const dir = await mkdtemp(path.join(tmpdir(), 'facegate-slideshow-'));
      const listFile = path.join(dir, 'list.ffconcat');
      await writeFile(listFile, concatList(files, config.fps));
      return {
        processes: [{ command, args: folderArgs(config, listFile) }],
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  });
}
