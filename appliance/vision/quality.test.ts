import { describe, expect, it } from 'vitest';

import { ALIGNED_SIZE } from './align.js';
import type { Point } from './image.js';
import { DEFAULT_QUALITY, assessQuality, checkFeatureStrength, estimatePose, measureCrop } from './quality.js';

interface SyntheticFace {
  landmarks: Point[];
  five: Point[];
}

/**
 * Build a face seen from the front in its own frame: eye line at y = 0, mouth line at y = 60, jaw ends at
 * x = ±60. `noseX` moves the nose tip sideways (a turned head) and `noseRatio` sets where it falls
 * between the eye and mouth lines (0.53 is frontal). Only the landmarks the pose estimate reads are
 * placed; the rest sit at the origin.
 */
function face(noseX = 0, noseRatio = 0.53): SyntheticFace {
  const landmarks: Point[] = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  landmarks[0] = { x: -60, y: 0 };
  landmarks[16] = { x: 60, y: 0 };
  const five = [
    { x: -30, y: 0 },
    { x: 30, y: 0 },
    { x: noseX, y: 60 * noseRatio },
    { x: -20, y: 60 },
    { x: 20, y: 60 },
  ];
  return { landmarks, five };
}

/** Mirror a face as a flipped photo would: x changes sign, and left and right landmarks swap roles. */
function mirror(f: SyntheticFace): SyntheticFace {
  const flip = (p: Point): Point => ({ x: -p.x, y: p.y });
  const landmarks = f.landmarks.map(flip);
  [landmarks[0], landmarks[16]] = [landmarks[16]!, landmarks[0]!];
  const [le, re, nose, ml, mr] = f.five.map(flip) as [Point, Point, Point, Point, Point];
  return { landmarks, five: [re, le, nose, mr, ml] };
}

/** Rotate a face by `degrees` (clockwise on screen, because y points down), then scale and shift it. */
function place(f: SyntheticFace, degrees: number, scale = 1, dx = 0, dy = 0): SyntheticFace {
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const move = (p: Point): Point => ({ x: scale * (p.x * cos - p.y * sin) + dx, y: scale * (p.x * sin + p.y * cos) + dy });
  return { landmarks: f.landmarks.map(move), five: f.five.map(move) };
}

const pose = (f: SyntheticFace) => estimatePose(f.landmarks, f.five);

describe('estimatePose', () => {
  it('reads a frontal face as zero', () => {
    const { yaw, pitch, roll } = pose(face());
    expect(yaw).toBeCloseTo(0, 9);
    expect(pitch).toBeCloseTo(0, 9);
    expect(roll).toBeCloseTo(0, 9);
  });

  it('reads yaw from the nose position', () => {
    // Nose 30 px towards the jaw end at x = +60: distances 90 and 30, so yaw = asin(60 / 120).
    expect(pose(face(30)).yaw).toBeCloseTo(30, 9);
    expect(pose(face(-30)).yaw).toBeCloseTo(-30, 9);
  });

  it('negates yaw and roll when mirrored', () => {
    const turnedAndTilted = place(face(18, 0.6), 12, 1.4, 120, 80);
    const original = pose(turnedAndTilted);
    const mirrored = pose(mirror(turnedAndTilted));
    expect(original.yaw).toBeGreaterThan(5);
    expect(mirrored.yaw).toBeCloseTo(-original.yaw, 9);
    expect(mirrored.roll).toBeCloseTo(-original.roll, 9);
    expect(mirrored.pitch).toBeCloseTo(original.pitch, 9);
  });

  it('reads roll as the face rotation', () => {
    for (const rotation of [-40, -10, 5, 33, 90]) {
      expect(pose(place(face(), rotation, 2.5, 300, -20)).roll).toBeCloseTo(rotation, 9);
    }
  });

  it('keeps yaw and pitch under similarity', () => {
    const upright = pose(face(12, 0.45));
    for (const [rotation, scale] of [[25, 1], [-60, 0.3], [170, 4]] as const) {
      const placed = pose(place(face(12, 0.45), rotation, scale, -50, 400));
      expect(placed.yaw).toBeCloseTo(upright.yaw, 9);
      expect(placed.pitch).toBeCloseTo(upright.pitch, 9);
    }
  });

  it('gives positive pitch for a lower nose', () => {
    // The ratio deviation times 1.5 is the sine of the pitch.
    expect(pose(face(0, 0.53 + 1 / 3)).pitch).toBeCloseTo(30, 9);
    expect(pose(face(0, 0.53 - 1 / 3)).pitch).toBeCloseTo(-30, 9);
  });

  it('clamps extreme values to ±90 degrees', () => {
    expect(pose(face(200)).yaw).toBeCloseTo(90, 9);
    expect(pose(face(0, 2)).pitch).toBeCloseTo(90, 9);
  });
});

/** Build an aligned-crop tensor as `fr_feature` takes it (BGR planes, (v - 127) / 128) with grey levels from `grey(x, y)`. */
function featureTensor(grey: (x: number, y: number) => number): Float32Array {
  const plane = ALIGNED_SIZE * ALIGNED_SIZE;
  const tensor = new Float32Array(3 * plane);
  for (let y = 0; y < ALIGNED_SIZE; y++) {
    for (let x = 0; x < ALIGNED_SIZE; x++) {
      const value = (grey(x, y) - 127) / 128;
      const i = y * ALIGNED_SIZE + x;
      tensor[i] = value;
      tensor[plane + i] = value;
      tensor[2 * plane + i] = value;
    }
  }
  return tensor;
}

describe('measureCrop', () => {
  it('reads a flat crop', () => {
    const { sharpness, brightness } = measureCrop(featureTensor(() => 100));
    expect(sharpness).toBeCloseTo(0, 6);
    expect(brightness).toBeCloseTo(100, 4);
  });

  it('finds a checkerboard sharper than a ramp', () => {
    const checker = measureCrop(featureTensor((x, y) => ((x + y) % 2 === 0 ? 80 : 180)));
    const ramp = measureCrop(featureTensor((x) => 60 + x));
    expect(checker.brightness).toBeCloseTo(130, 4);
    // Each Laplacian of the checkerboard is ±400, so its variance is 160000; a linear ramp has none.
    expect(checker.sharpness).toBeCloseTo(160000, 0);
    expect(ramp.sharpness).toBeCloseTo(0, 3);
  });

  it('weights channels as BT.601 luma', () => {
    const plane = ALIGNED_SIZE * ALIGNED_SIZE;
    const tensor = new Float32Array(3 * plane);
    // Pure red in BGR planes: blue 0, green 0, red 255.
    tensor.fill((0 - 127) / 128, 0, 2 * plane);
    tensor.fill((255 - 127) / 128, 2 * plane);
    expect(measureCrop(tensor).brightness).toBeCloseTo(0.299 * 255, 3);
  });
});

describe('checkFeatureStrength', () => {
  const passed = { ok: true, reasons: [], interEyePx: 60, sharpness: 120, brightness: 128, pose: { yaw: 0, pitch: 0, roll: 0 }, featureNorm: null } as const;

  it('keeps a strong embedding', () => {
    const report = checkFeatureStrength({ ...passed, reasons: [] }, DEFAULT_QUALITY.minFeatureNorm, DEFAULT_QUALITY);
    expect(report.ok).toBe(true);
    expect(report.featureNorm).toBe(DEFAULT_QUALITY.minFeatureNorm);
  });

  it('fails a weak embedding', () => {
    const report = checkFeatureStrength({ ...passed, reasons: [] }, DEFAULT_QUALITY.minFeatureNorm - 0.01, DEFAULT_QUALITY);
    expect(report.ok).toBe(false);
    expect(report.reasons).toEqual(['weak-features']);
  });

  it('keeps earlier reasons first', () => {
    const report = checkFeatureStrength({ ...passed, ok: false, reasons: ['too-dark'] }, 1, DEFAULT_QUALITY);
    expect(report.reasons).toEqual(['too-dark', 'weak-features']);
  });
});

describe('assessQuality', () => {
  const limits = DEFAULT_QUALITY;
  const sinOf = (degrees: number): number => Math.sin((degrees * Math.PI) / 180);
  /** A textured crop whose grey level averages `mean`: sharp enough for the gate. */
  const textured = (mean: number) => featureTensor((x, y) => mean - 8 + ((x * 7 + y * 13) % 17));
  // A frontal face with eyes 60 px apart on a textured mid-grey crop passes every check.
  const good = place(face(), 0, 1, 200, 200);
  const midGrey = textured(128);

  it('passes a good face', () => {
    const report = assessQuality(good.landmarks, good.five, midGrey, limits);
    expect(report.reasons).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.interEyePx).toBeCloseTo(60, 9);
  });

  it('names each failed check', () => {
    const small = place(face(), 0, (0.8 * limits.minInterEyePx) / 60);
    expect(assessQuality(small.landmarks, small.five, midGrey, limits).reasons).toEqual(['too-small']);

    const flat = featureTensor(() => 128);
    expect(assessQuality(good.landmarks, good.five, flat, limits).reasons).toEqual(['too-blurry']);

    const tilted = place(face(), limits.maxRollDeg + 5, 1);
    expect(assessQuality(tilted.landmarks, tilted.five, midGrey, limits).reasons).toEqual(['pose-roll']);

    // Yaw is asin(2 * noseX / 120) and pitch asin(1.5 * (ratio - 0.53)) for this synthetic face.
    const turned = face(60 * sinOf(limits.maxYawDeg + 5));
    expect(assessQuality(turned.landmarks, turned.five, midGrey, limits).reasons).toEqual(['pose-yaw']);

    const noseDown = face(0, 0.53 + sinOf(limits.maxPitchDeg + 5) / 1.5);
    expect(assessQuality(noseDown.landmarks, noseDown.five, midGrey, limits).reasons).toEqual(['pose-pitch']);

    expect(assessQuality(good.landmarks, good.five, textured(limits.minBrightness - 10), limits).reasons).toEqual(['too-dark']);
    expect(assessQuality(good.landmarks, good.five, textured(limits.maxBrightness + 10), limits).reasons).toEqual(['too-bright']);
  });

  it('lists every failed check at once', () => {
    const small = place(face(), limits.maxRollDeg + 10, (0.5 * limits.minInterEyePx) / 60);
    const report = assessQuality(small.landmarks, small.five, featureTensor(() => limits.minBrightness / 2), limits);
    expect(report.ok).toBe(false);
    expect(report.reasons).toEqual(['too-small', 'too-dark', 'too-blurry', 'pose-roll']);
  });

  it('applies the given thresholds', () => {
    const strict = { ...limits, minInterEyePx: 80 };
    expect(assessQuality(good.landmarks, good.five, midGrey, strict).reasons).toEqual(['too-small']);
  });
});
