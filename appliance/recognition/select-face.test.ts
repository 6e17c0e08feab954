import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FacegateError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { decodeImage, decodeImageFile } from '../vision/decode.js';
import { cosine } from '../vision/embed.js';
import { FacePipeline, type AnalyseResult, type FaceResult } from '../vision/pipeline.js';
import type { QualityReport } from '../vision/quality.js';
import { lfwPhoto, sideBySide } from '../../test/helpers/faces.js';
import { selectSingleFace } from './select-face.js';

function captureError(action: () => unknown): FacegateError {
  try {
    action();
  } catch (error) {
    if (error instanceof FacegateError) return error;
    throw error;
  }
  throw new Error('expected a FacegateError, but nothing was thrown');
}

const GOOD_QUALITY: QualityReport = {
  ok: true,
  reasons: [],
  interEyePx: 42,
  sharpness: 120,
  brightness: 128,
  pose: { yaw: 3, pitch: -2, roll: 1 },
  featureNorm: null,
};

function syntheticFace(x1: number, quality: QualityReport = GOOD_QUALITY): FaceResult {
  return {
    box: { x1, y1: 10, x2: x1 + 80, y2: 110 },
    detectionScore: 0.99,
    landmarks: [],
    points: [],
    quality,
    liveness: 0.98,
    embedding: quality.ok ? new Float32Array(512).fill(1 / Math.sqrt(512)) : null,
  };
}

function syntheticResult(faces: FaceResult[]): AnalyseResult {
  return {
    width: 640,
    height: 480,
    detections: faces.map((face) => ({ ...face.box, score: face.detectionScore })),
    faces,
    timings: {},
  };
}

describe('selectSingleFace on synthetic results', () => {
  it('returns the only face', () => {
    const face = syntheticFace(100);
    expect(selectSingleFace(syntheticResult([face]), 'one.jpg')).toBe(face);
  });

  it('raises face.none naming the file', () => {
    const error = captureError(() => selectSingleFace(syntheticResult([]), 'empty-room.jpg'));
    expect(error.code).toBe('face.none');
    expect(error.message).toBe('no face found in empty-room.jpg');
    expect(error.params.file).toBe('empty-room.jpg');
    expect(error.hint).toBeDefined();
  });

  it('raises face.several listing every box', () => {
    const error = captureError(() => selectSingleFace(syntheticResult([syntheticFace(100), syntheticFace(300.4)]), 'pair.jpg'));
    expect(error.code).toBe('face.several');
    expect(error.message).toContain('which one?');
    expect(error.params.count).toBe(2);
    expect(error.params.boxes).toBe('1: (100,10)-(180,110), 2: (300,10)-(380,110)');
    expect(error.hint).toMatch(/--face N/);
  });

  it('picks the face named by faceIndex', () => {
    const first = syntheticFace(100);
    const second = syntheticFace(300);
    expect(selectSingleFace(syntheticResult([first, second]), 'pair.jpg', 2)).toBe(second);
    expect(selectSingleFace(syntheticResult([first, second]), 'pair.jpg', 1)).toBe(first);
  });

  it('raises face.index out of range', () => {
    const error = captureError(() => selectSingleFace(syntheticResult([syntheticFace(100), syntheticFace(300)]), 'pair.jpg', 3));
    expect(error.code).toBe('face.index');
    expect(error.hint).toBe('Choose --face between 1 and 2.');
  });

  it('raises face.quality with every reason', () => {
    const poor: QualityReport = {
      ok: false,
      reasons: ['too-blurry', 'too-dark'],
      interEyePx: 40,
      sharpness: 3.04,
      brightness: 25.4,
      pose: { yaw: 0, pitch: 0, roll: 0 },
      featureNorm: null,
    };
    const error = captureError(() => selectSingleFace(syntheticResult([syntheticFace(100, poor)]), 'dim.jpg'));
    expect(error.code).toBe('face.quality.too-blurry');
    expect(error.params.reasons).toBe('too-blurry,too-dark');
    expect(error.params.details).toBe('too blurry (sharpness 3.0), too dark (mean grey 25)');
    expect(error.message).toContain('dim.jpg');
  });

  it('describes each quality reason', () => {
    const everything: QualityReport = {
      ok: false,
      reasons: ['too-small', 'pose-yaw', 'pose-pitch', 'pose-roll', 'too-bright'],
      interEyePx: 12.2,
      sharpness: 50,
      brightness: 240,
      pose: { yaw: 80, pitch: -50, roll: 41 },
      featureNorm: null,
    };
    const error = captureError(() => selectSingleFace(syntheticResult([syntheticFace(100, everything)]), 'bad.jpg'));
    expect(error.code).toBe('face.quality.too-small');
    expect(error.params.details).toBe(
      'too small (eyes 12 px apart), head turned sideways (yaw about 80°), head tilted up or down (pitch about -50°), ' +
        'head tilted sideways (roll about 41°), too bright (mean grey 240)',
    );
  });
});

describe('selectSingleFace on two real faces side by side', () => {
  let pipeline: FacePipeline;
  let result: AnalyseResult;
  const own = new Map<string, Float32Array>();

  beforeAll(async () => {
    pipeline = await FacePipeline.create({}, silentLogger());
    for (const person of ['al_gore', 'abdullah']) {
      const single = await pipeline.analyse(await decodeImageFile(lfwPhoto(person)));
      own.set(person, single.faces[0]!.embedding!);
    }
    const pair = await sideBySide([lfwPhoto('al_gore'), lfwPhoto('abdullah')]);
    result = await pipeline.analyse(await decodeImage(pair, 'pair.png'), { maxFaces: 10 });
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  /** Return the person whose own photo the face matches best. */
  function whoIs(face: FaceResult): string {
    const [best] = [...own.entries()].sort((a, b) => cosine(face.embedding!, b[1]) - cosine(face.embedding!, a[1]));
    expect(cosine(face.embedding!, best![1])).toBeGreaterThan(0.8);
    return best![0];
  }

  it('asks which one, listing both boxes', () => {
    expect(result.detections).toHaveLength(2);
    const error = captureError(() => selectSingleFace(result, 'pair.png'));
    expect(error.code).toBe('face.several');
    expect(error.message).toMatch(/^pair\.png shows 2 faces \(1: \(\d+,\d+\)-\(\d+,\d+\), 2: \(\d+,\d+\)-\(\d+,\d+\)\); which one\?$/);
    // One box lies in the left photo (x < 250), the other in the right one.
    const lefts = String(error.params.boxes).match(/\((\d+),\d+\)-/g)!.map((match) => Number(match.slice(1).split(',')[0]));
    expect(lefts.filter((x) => x < 250)).toHaveLength(1);
    expect(lefts.filter((x) => x >= 250)).toHaveLength(1);
  });

  it('picks the other person with face 2', () => {
    const first = selectSingleFace(result, 'pair.png', 1);
    const second = selectSingleFace(result, 'pair.png', 2);
    expect(second.box).not.toEqual(first.box);
    expect(new Set([whoIs(first), whoIs(second)])).toEqual(new Set(['al_gore', 'abdullah']));
  });

  it('numbers faces from the largest', () => {
    const area = (face: FaceResult): number => (face.box.x2 - face.box.x1) * (face.box.y2 - face.box.y1);
    expect(area(selectSingleFace(result, 'pair.png', 1))).toBeGreaterThanOrEqual(area(selectSingleFace(result, 'pair.png', 2)));
  });
});
