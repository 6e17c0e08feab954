import { describe, expect, it } from 'vitest';

import type { Point } from './image.js';
import { fivePoints, landmarkCrop } from './landmarks.js';

describe('fivePoints', () => {
  // Point i sits at (i, i^2), so every average names the indices it was taken from.
  const landmarks: Point[] = Array.from({ length: 68 }, (_, i) => ({ x: i, y: i * i }));
  const mean = (indices: number[]): Point => ({
    x: indices.reduce((sum, i) => sum + i, 0) / indices.length,
    y: indices.reduce((sum, i) => sum + i * i, 0) / indices.length,
  });

  it('averages the four lid points of each eye', () => {
    const [leftEye, rightEye] = fivePoints(landmarks);
    expect(leftEye).toEqual(mean([37, 38, 40, 41]));
    expect(rightEye).toEqual(mean([43, 44, 46, 47]));
  });

  it('takes the nose tip as point 30', () => {
    expect(fivePoints(landmarks)[2]).toEqual({ x: 30, y: 900 });
  });

  it('averages the outer and inner lip corners', () => {
    const [, , , mouthLeft, mouthRight] = fivePoints(landmarks);
    expect(mouthLeft).toEqual(mean([48, 60]));
    expect(mouthRight).toEqual(mean([54, 64]));
  });

  it('rejects anything but 68 landmarks', () => {
    expect(() => fivePoints(landmarks.slice(0, 67))).toThrow(/68 landmarks, got 67/);
    expect(() => fivePoints([...landmarks, { x: 0, y: 0 }])).toThrow(RangeError);
  });
});

describe('landmarkCrop', () => {
  it('is a centred square of box height', () => {
    expect(landmarkCrop({ x1: 10, y1: 20, x2: 50, y2: 80 })).toEqual({ x: 0, y: 20, side: 60 });
  });

  it('may reach outside the image', () => {
    const crop = landmarkCrop({ x1: -30, y1: -10, x2: 40, y2: 90 });
    expect(crop.x).toBe(-45);
    expect(crop.y).toBe(-10);
    expect(crop.side).toBe(100);
  });
});
