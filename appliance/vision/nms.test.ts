import { describe, expect, it } from 'vitest';

import { iou, type Box } from './image.js';
import { nonMaximumSuppression, type ScoredBox } from './nms.js';

const box = (x1: number, y1: number, x2: number, y2: number, score = 1): ScoredBox => ({ x1, y1, x2, y2, score });

describe('iou', () => {
  it('is 1 for identical boxes', () => {
    expect(iou(box(10, 10, 50, 60), box(10, 10, 50, 60))).toBe(1);
  });

  it('is 0 for disjoint boxes', () => {
    expect(iou(box(0, 0, 10, 10), box(20, 20, 30, 30))).toBe(0);
  });

  it('is 0 for touching boxes', () => {
    expect(iou(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(10, 10, 20, 20))).toBe(0);
  });

  it('is intersection over union when overlapping', () => {
    // Two 2x2 boxes sharing a 1x2 strip: 2 / (4 + 4 - 2).
    expect(iou(box(0, 0, 2, 2), box(1, 0, 3, 2))).toBeCloseTo(1 / 3, 12);
  });

  it('is the area ratio for a box inside another', () => {
    expect(iou(box(0, 0, 10, 10), box(2, 2, 7, 7))).toBeCloseTo(25 / 100, 12);
  });

  it('is symmetric', () => {
    const a: Box = { x1: 3, y1: -4, x2: 17, y2: 9 };
    const b: Box = { x1: -1, y1: 2, x2: 8, y2: 30 };
    expect(iou(a, b)).toBe(iou(b, a));
  });

  it('is 0 when either box has no area', () => {
    expect(iou(box(0, 0, 0, 10), box(0, 0, 10, 10))).toBe(0);
    expect(iou(box(5, 5, 5, 5), box(5, 5, 5, 5))).toBe(0);
    expect(iou(box(10, 10, 0, 0), box(0, 0, 10, 10))).toBe(0);
  });
});

describe('nonMaximumSuppression', () => {
  it('keeps best overlapping and all disjoint', () => {
    const faceA = box(100, 100, 200, 220, 0.95);
    const faceAShifted = box(105, 102, 205, 224, 0.9);
    const faceB = box(300, 100, 380, 200, 0.8);
    const kept = nonMaximumSuppression([faceAShifted, faceB, faceA], 0.4);
    expect(kept).toEqual([faceA, faceB]);
  });

  it('suppresses only above the IoU threshold', () => {
    const first = box(0, 0, 2, 2, 0.9);
    const third = box(1, 0, 3, 2, 0.8); // IoU 1/3 with the first box
    expect(nonMaximumSuppression([first, third], 0.3)).toEqual([first]);
    expect(nonMaximumSuppression([first, third], 0.34)).toEqual([first, third]);
    expect(nonMaximumSuppression([first, third], 1 / 3)).toEqual([first, third]);
  });

  it('returns boxes by descending score', () => {
    const boxes = [box(0, 0, 10, 10, 0.2), box(20, 0, 30, 10, 0.9), box(40, 0, 50, 10, 0.5), box(60, 0, 70, 10, 0.7)];
    expect(nonMaximumSuppression(boxes, 0.5).map((b) => b.score)).toEqual([0.9, 0.7, 0.5, 0.2]);
  });

  it('stops at the limit', () => {
    const boxes = [box(0, 0, 10, 10, 0.2), box(20, 0, 30, 10, 0.9), box(40, 0, 50, 10, 0.5)];
    expect(nonMaximumSuppression(boxes, 0.5, 2).map((b) => b.score)).toEqual([0.9, 0.5]);
    expect(nonMaximumSuppression(boxes, 0.5, 0)).toEqual([]);
  });

  it('ignores suppressed boxes as suppressors', () => {
    // B overlaps A and C, but A and C hardly overlap: A removes B, so C stays.
    const a = box(0, 0, 10, 10, 0.9);
    const b = box(5, 0, 15, 10, 0.8);
    const c = box(10, 0, 20, 10, 0.7);
    expect(nonMaximumSuppression([c, b, a], 0.3)).toEqual([a, c]);
  });

  it('leaves input unchanged, accepts empty list', () => {
    const boxes = [box(0, 0, 10, 10, 0.1), box(1, 1, 11, 11, 0.9)];
    const copy = boxes.map((b) => ({ ...b }));
    nonMaximumSuppression(boxes, 0.3);
    expect(boxes).toEqual(copy);
    expect(nonMaximumSuppression([], 0.3)).toEqual([]);
  });

  it('keeps extra fields of the input type', () => {
    const tagged = [{ ...box(0, 0, 10, 10, 0.5), anchor: 7 }];
    expect(nonMaximumSuppression(tagged, 0.3)[0]!.anchor).toBe(7);
  });
});
