import { describe, expect, it } from 'vitest';

import { FacegateError } from '../common/errors.js';
import { LatestFrameSlot } from './frame-slot.js';
import type { Frame } from './types.js';

function frame(seq: number): Frame {
  return { width: 1, height: 1, data: Buffer.alloc(3), seq, capturedAtNs: process.hrtime.bigint(), wallTime: Date.now() };
}

describe('LatestFrameSlot', () => {
  it('keeps only the newest frame', async () => {
    const slot = new LatestFrameSlot();
    slot.put(frame(1));
    slot.put(frame(2));
    slot.put(frame(3));

    expect((await slot.take()).seq).toBe(3);
    expect(slot.framesSkipped).toBe(2);
    expect(slot.framesDelivered).toBe(1);
  });

  it('hands a frame straight to a waiting consumer', async () => {
    const slot = new LatestFrameSlot();
    const waiting = slot.take();
    slot.put(frame(7));
    slot.put(frame(8));

    expect((await waiting).seq).toBe(7);
    expect((await slot.take()).seq).toBe(8);
    expect(slot.framesSkipped).toBe(0);
  });

  it('never returns a frame twice', async () => {
    const slot = new LatestFrameSlot();
    slot.put(frame(1));
    await slot.take();
    const next = slot.take({ timeoutMs: 30 });

    await expect(next).rejects.toMatchObject({ code: 'camera.frameTimeout' });
  });

  it('rejects waiters on close', async () => {
    const slot = new LatestFrameSlot();
    const waiting = slot.take();
    slot.close(new FacegateError('camera.stopped', 'stopped'));

    await expect(waiting).rejects.toMatchObject({ code: 'camera.stopped' });
    await expect(slot.take()).rejects.toMatchObject({ code: 'camera.stopped' });
  });

  it('keeps the last frame when asked on close', async () => {
    const slot = new LatestFrameSlot();
    slot.put(frame(5));
    slot.close(new FacegateError('camera.ended', 'ended'), { keepPending: true });

    expect((await slot.take()).seq).toBe(5);
    await expect(slot.take()).rejects.toMatchObject({ code: 'camera.ended' });
  });

  it('stops waiting on abort', async () => {
    const slot = new LatestFrameSlot();
    const controller = new AbortController();
    const waiting = slot.take({ signal: controller.signal });
    controller.abort();

    await expect(waiting).rejects.toMatchObject({ code: 'camera.aborted' });
    slot.put(frame(1));
    expect(slot.framesDelivered).toBe(0);
  });
});
