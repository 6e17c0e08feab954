import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { testDataDir } from '../common/paths.js';
import type { FolderCameraConfig } from '../config/schema.js';
import type { FfmpegCameraSource } from './ffmpeg.js';
import { concatList, createFolderSource, folderArgs, listFolderImages } from './folder.js';
import { cameraConfig, colourDistance, letterboxedMean, meanRgb, recordingLogger } from './testing.js';
import type { Frame } from './types.js';

const PHOTO_DIR = path.join(testDataDir(), 'faces', 'deepface', 'id_01');

let dir: string;
const sources: FfmpegCameraSource[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'facegate-camera-folder-'));
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function folderSource(folder: string, overrides: Record<string, unknown> = {}): FfmpegCameraSource {
  const config = cameraConfig<FolderCameraConfig>({ type: 'folder', path: folder, fps: 10, ...overrides });
  const source = createFolderSource(config, { logger: recordingLogger().logger });
  sources.push(source);
  return source;
}

function untilEnded(source: FfmpegCameraSource): Promise<void> {
  return new Promise((resolve) => {
    source.on('state', (change) => {
      if (change.state === 'ended') resolve();
    });
  });
}

describe('listFolderImages', () => {
  it('sorts names naturally', async () => {
    const folder = path.join(dir, 'sorted');
    mkdirSync(folder);
    for (const name of ['10.jpg', '2.jpg', '1.JPG', 'notes.txt', 'b 3.jpeg']) writeFileSync(path.join(folder, name), '');

    const files = await listFolderImages(folder);
    expect(files.map((file) => path.basename(file))).toEqual(['1.JPG', '2.jpg', '10.jpg', 'b 3.jpeg']);
  });

  it('rejects an empty folder', async () => {
    const folder = path.join(dir, 'empty');
    mkdirSync(folder);
    await expect(listFolderImages(folder)).rejects.toMatchObject({ code: 'camera.folderEmpty' });
  });

  it('rejects mixed formats', async () => {
    const folder = path.join(dir, 'mixed');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'a.jpg'), '');
    writeFileSync(path.join(folder, 'b.png'), '');
    await expect(listFolderImages(folder)).rejects.toMatchObject({ code: 'camera.folderMixed' });
  });

  it('rejects a missing folder', async () => {
    await expect(listFolderImages(path.join(dir, 'absent'))).rejects.toMatchObject({ code: 'camera.folderUnreadable' });
  });
});

describe('folder camera source', () => {
  it('quotes names in the concat list', () => {
    const list = concatList(["/photos/it's.jpg", '/photos/b.jpg'], 4);
    expect(list).toBe("ffconcat version 1.0\nfile '/photos/it'\\''s.jpg'\nduration 0.250000\nfile '/photos/b.jpg'\nduration 0.250000\n");
  });

  it('builds concat arguments without an fps filter', () => {
    const config = cameraConfig<FolderCameraConfig>({ type: 'folder', path: '/photos', loop: true });
    const args = folderArgs(config, '/tmp/list.ffconcat');

    expect(args).toEqual(expect.arrayContaining(['-re', '-stream_loop', '-1', '-f', 'concat', '-safe', '0']));
    expect(args[args.indexOf('-i') + 1]).toBe('/tmp/list.ffconcat');
    expect(args[args.indexOf('-vf') + 1]).not.toContain('fps=');
  });

  it('shows each photo once in order', async () => {
    const photos = readdirSync(PHOTO_DIR)
      .filter((name) => name.endsWith('.jpg'))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((name) => path.join(PHOTO_DIR, name));
    const expected = await Promise.all(photos.map((photo) => letterboxedMean(photo)));
    const source = folderSource(PHOTO_DIR);
    const frames: Frame[] = [];
    source.on('frame', (frame) => frames.push(frame));
    const ended = untilEnded(source);
    await source.start();
    await ended;

    expect(frames).toHaveLength(photos.length);
    frames.forEach((frame, index) => {
      expect(frame.data.length).toBe(640 * 480 * 3);
      expect(colourDistance(meanRgb(frame.data), expected[index]!), path.basename(photos[index]!)).toBeLessThan(4);
    });
  });

  it('loops with odd file names', async () => {
    const folder = path.join(dir, 'linked');
    mkdirSync(folder);
    symlinkSync(path.join(PHOTO_DIR, '1.jpg'), path.join(folder, "it's 1.jpg"));
    symlinkSync(path.join(PHOTO_DIR, '2.jpg'), path.join(folder, 'then 2.jpg'));
    const source = folderSource(folder, { loop: true });
    await source.start();
    let last = await source.next({ timeoutMs: 5_000 });
    while (last.seq < 5) last = await source.next({ timeoutMs: 5_000 });

    expect(source.stats().state).toBe('running');
    expect(source.stats().restarts).toBe(0);
  });
});
