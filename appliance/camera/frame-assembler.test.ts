import { describe, expect, it } from 'vitest';

import { RawFrameAssembler } from './frame-assembler.js';

function bytes(start: number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (start + index) % 256));
}

describe('RawFrameAssembler', () => {
  it('joins frames split across chunks', () => {
    const frames: Buffer[] = [];
    const assembler = new RawFrameAssembler(10, (frame) => frames.push(Buffer.from(frame)));
    const stream = bytes(0, 35);
    for (const [from, to] of [[0, 3], [3, 4], [4, 17], [17, 30], [30, 35]] as const) assembler.push(stream.subarray(from, to));

    expect(frames).toHaveLength(3);
    expect(frames[0]).toEqual(stream.subarray(0, 10));
    expect(frames[1]).toEqual(stream.subarray(10, 20));
    expect(frames[2]).toEqual(stream.subarray(20, 30));
    expect(assembler.pendingBytes).toBe(5);
  });

  it('cuts several frames from one chunk without copying', () => {
    const views: Buffer[] = [];
    const assembler = new RawFrameAssembler(4, (frame) => views.push(frame));
    const chunk = bytes(0, 12);
    assembler.push(chunk);

    expect(views).toHaveLength(3);
    expect(views[1]!.buffer).toBe(chunk.buffer);
    expect(views[1]!.byteOffset).toBe(chunk.byteOffset + 4);
    expect(assembler.pendingBytes).toBe(0);
  });

  it('gives each spanning frame its own buffer', () => {
    const frames: Buffer[] = [];
    const assembler = new RawFrameAssembler(6, (frame) => frames.push(frame));
    const first = bytes(0, 4);
    const second = bytes(4, 8);
    assembler.push(first);
    assembler.push(second);
    second.fill(0);

    expect(frames[0]).toEqual(bytes(0, 6));
  });

  it('handles one-byte chunks', () => {
    const frames: Buffer[] = [];
    const assembler = new RawFrameAssembler(3, (frame) => frames.push(frame));
    for (const byte of bytes(0, 9)) assembler.push(Buffer.from([byte]));

    expect(frames.map((frame) => [...frame])).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  });

  it('drops a partial frame on reset', () => {
    const frames: Buffer[] = [];
    const assembler = new RawFrameAssembler(4, (frame) => frames.push(frame));
    assembler.push(bytes(0, 3));
    assembler.reset();
    assembler.push(bytes(10, 4));

    expect(frames).toHaveLength(1);
    expect([...frames[0]!]).toEqual([10, 11, 12, 13]);
  });

  it('rejects a zero frame size', () => {
    expect(() => new RawFrameAssembler(0, () => undefined)).toThrow(RangeError);
  });
});
