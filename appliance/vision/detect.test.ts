import { describe, expect, it } from 'vitest';

import { DEFAULT_DETECT_OPTIONS, DETECT_HEIGHT, DETECT_WIDTH, boxArea, decodeDetections, letterbox } from './detect.js';
import { applyAffine } from './sample.js';

/** Build raw detector outputs for a few anchors: [background, face] scores and normalised corner boxes. */
function outputs(anchors: Array<{ face: number; box: [number, number, number, number] }>): { scores: Float32Array; boxes: Float32Array } {
  const scores = new Float32Array(anchors.length * 2);
  const boxes = new Float32Array(anchors.length * 4);
  anchors.forEach((anchor, i) => {
    scores[i * 2] = 1 - anchor.face;
    scores[i * 2 + 1] = anchor.face;
    boxes.set(anchor.box, i * 4);
  });
  return { scores, boxes };
}

describe('letterbox', () => {
  it('fits a 4:3 frame exactly', () => {
    const frame = letterbox(640, 480);
    expect(frame.scale).toBe(0.5);
    expect(frame.dx).toBe(0);
    expect(frame.dy).toBe(0);
  });

  it('centres a square photo between side bars', () => {
    const frame = letterbox(250, 250);
    expect(frame.scale).toBeCloseTo(DETECT_HEIGHT / 250, 12);
    expect(frame.dx).toBeCloseTo((DETECT_WIDTH - 240) / 2, 12);
    expect(frame.dy).toBe(0);
  });

  it('centres a portrait photo', () => {
    const frame = letterbox(1560, 2166);
    expect(frame.scale * 2166).toBeCloseTo(DETECT_HEIGHT, 9);
    expect(frame.dx).toBeCloseTo((DETECT_WIDTH - 1560 * frame.scale) / 2, 9);
  });

  it('shrinks by the zoom-out factor and stays centred', () => {
    const frame = letterbox(640, 480, 2);
    expect(frame.scale).toBe(0.25);
    expect(frame.dx).toBe(80);
    expect(frame.dy).toBe(60);
  });

  it('maps pixel centres back to source', () => {
    for (const [width, height, zoomOut] of [[640, 480, 1], [250, 250, 1], [250, 250, 2], [1000, 300, 1]] as const) {
      const frame = letterbox(width, height, zoomOut);
      for (const [x, y] of [[0, 0], [width - 1, height - 1], [width / 3, height / 2]] as const) {
        // Continuous coordinates: a source pixel centre x sits at (x + 0.5) * scale + dx - 0.5 in the input.
        const u = (x + 0.5) * frame.scale + frame.dx - 0.5;
        const v = (y + 0.5) * frame.scale + frame.dy - 0.5;
        const [sx, sy] = applyAffine(frame.inverse, u, v);
        expect(sx).toBeCloseTo(x, 9);
        expect(sy).toBeCloseTo(y, 9);
      }
    }
  });
});

describe('decodeDetections', () => {
  const options = { ...DEFAULT_DETECT_OPTIONS };

  it('maps a box to 640x480 coordinates', () => {
    const { scores, boxes } = outputs([{ face: 0.99, box: [0.25, 0.25, 0.5, 0.75] }]);
    const [found] = decodeDetections(scores, boxes, letterbox(640, 480), options);
    expect(found).toBeDefined();
    expect(found!.x1).toBeCloseTo(160, 4);
    expect(found!.y1).toBeCloseTo(120, 4);
    expect(found!.x2).toBeCloseTo(320, 4);
    expect(found!.y2).toBeCloseTo(360, 4);
    expect(found!.score).toBeCloseTo(0.99, 6);
  });

  it('removes the letterbox bars of a square photo', () => {
    // In the 320x240 input a 250x250 photo spans x 40..280 at scale 0.96.
    const { scores, boxes } = outputs([{ face: 0.9, box: [40 / 320, 0, 280 / 320, 1] }]);
    const [found] = decodeDetections(scores, boxes, letterbox(250, 250), options);
    expect(found!.x1).toBeCloseTo(0, 4);
    expect(found!.y1).toBeCloseTo(0, 4);
    expect(found!.x2).toBeCloseTo(250, 4);
    expect(found!.y2).toBeCloseTo(250, 4);
  });

  it('undoes the zoom-out beyond the frame', () => {
    // Zoomed out twice, the 640x480 frame spans x 80..240 and y 60..180 of the input.
    const { scores, boxes } = outputs([{ face: 0.9, box: [0.125, 0.125, 0.5, 0.5] }]);
    const [found] = decodeDetections(scores, boxes, letterbox(640, 480, 2), options);
    expect(found!.x1).toBeCloseTo(-160, 4);
    expect(found!.y1).toBeCloseTo(-120, 4);
    expect(found!.x2).toBeCloseTo(320, 4);
    expect(found!.y2).toBeCloseTo(240, 4);
  });

  it('drops weak and degenerate anchors', () => {
    const { scores, boxes } = outputs([
      { face: 0.69, box: [0.1, 0.1, 0.2, 0.2] },
      { face: 0.95, box: [0.5, 0.5, 0.5, 0.7] },
      { face: 0.95, box: [0.6, 0.7, 0.5, 0.6] },
      { face: 0.71, box: [0.7, 0.1, 0.8, 0.3] },
    ]);
    const found = decodeDetections(scores, boxes, letterbox(640, 480), options);
    expect(found).toHaveLength(1);
    expect(found[0]!.score).toBeCloseTo(0.71, 6);
  });

  it('merges overlapping anchors and caps count', () => {
    const { scores, boxes } = outputs([
      { face: 0.9, box: [0.1, 0.1, 0.3, 0.4] },
      { face: 0.97, box: [0.11, 0.1, 0.31, 0.41] },
      { face: 0.8, box: [0.6, 0.1, 0.8, 0.4] },
      { face: 0.85, box: [0.4, 0.5, 0.55, 0.8] },
    ]);
    const found = decodeDetections(scores, boxes, letterbox(640, 480), options);
    expect(found.map((d) => Number(d.score.toFixed(2)))).toEqual([0.97, 0.85, 0.8]);
    const capped = decodeDetections(scores, boxes, letterbox(640, 480), { ...options, maxFaces: 2 });
    expect(capped).toHaveLength(2);
  });
});

describe('boxArea', () => {
  it('is width times height and never negative', () => {
    expect(boxArea({ x1: 10, y1: 20, x2: 40, y2: 60 })).toBe(1200);
    expect(boxArea({ x1: 40, y1: 20, x2: 10, y2: 60 })).toBe(0);
  });
});
