import { describe, expect, it } from 'vitest';

import { StderrRing } from './stderr-ring.js';

describe('StderrRing', () => {
  it('keeps the last lines', () => {
    const ring = new StderrRing(3);
    ring.push('one\ntwo\nthree\nfour\n');

    expect(ring.tail()).toEqual(['two', 'three', 'four']);
  });

  it('joins lines split across chunks', () => {
    const ring = new StderrRing(10);
    ring.push('Input #0, ma');
    ring.push('troska\nframe=  10\rframe=  20\r\nerror: x');

    expect(ring.tail()).toEqual(['Input #0, matroska', 'frame=  10', 'frame=  20', 'error: x']);
  });

  it('drops ignored lines', () => {
    const ring = new StderrRing(10, /noise/);
    ring.push('noise here\nreal error\n\n');

    expect(ring.tail()).toEqual(['real error']);
  });
});
