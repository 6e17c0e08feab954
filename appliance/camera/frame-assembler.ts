/**
 * Cuts a raw video byte stream into frames of exactly `frameBytes` bytes, whatever the chunk boundaries.
 * A frame that lies whole inside one chunk is a view of that chunk, with no copy. A frame spread over
 * several chunks is copied once into its own buffer.
 */
export class RawFrameAssembler {
  private partial: Buffer | undefined;
  private filled = 0;

  constructor(
    readonly frameBytes: number,
    private readonly onFrame: (data: Buffer) => void,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    }
  }

  /** Bytes of an incomplete frame waiting for the next chunk. */
  get pendingBytes(): number {
    return this.filled;
  }

  push(chunk: Buffer): void {
    let offset = 0;

    if (this.partial !== undefined) {
      const copied = chunk.copy(this.partial, this.filled, 0, Math.min(chunk.length, this.frameBytes - this.filled));
      this.filled += copied;
      offset = copied;
      if (this.filled < this.frameBytes) return;
      const frame = this.partial;
      this.partial = undefined;
      this.filled = 0;
      this.onFrame(frame);
    }

    while (chunk.length - offset >= this.frameBytes) {
      this.onFrame(chunk.subarray(offset, offset + this.frameBytes));
      offset += this.frameBytes;
    }

    if (offset < chunk.length) {
      this.partial = Buffer.allocUnsafe(this.frameBytes);
      this.filled = chunk.copy(this.partial, 0, offset);
    }
  }

  /** Drop an incomplete frame, for example after the subprocess died mid-frame. */
  reset(): void {
    this.partial = undefined;
    this.filled = 0;
  }
}
