import { Transform, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';

// Frame layout from RFC 8878 section 3.1. fzstd allocates whatever window a frame header asks
// for (up to 2 GiB) and decodes a whole input chunk in one synchronous call, so a few hostile
// bytes could take gigabytes. This scanner reads the frame and block headers ahead of fzstd to
// refuse oversized windows and to cut the input at block boundaries, which bounds the output of
// each call.

/** The reference decoder's default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27). */
export const MAX_ZSTD_WINDOW = 128 * 1024 * 1024;
/** RFC 8878 3.1.1.2.3: no block regenerates more than 128 KiB. */
const MAX_BLOCK = 128 * 1024;
/** Most output one fzstd call may produce before backpressure is checked again. */
const SLICE_OUTPUT = 1024 * 1024;

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50; // low 4 bits are free

type ScanState = 'magic' | 'descriptor' | 'header' | 'block' | 'skippableSize' | 'skip';

class ZstdFormatError extends Error {}

class FrameScanner {
  private state: ScanState = 'magic';
  private readonly held = Buffer.alloc(16);
  private heldLength = 0;
  private need = 4;
  private skipLeft = 0;
  private afterSkip: 'magic' | 'block' = 'magic';
  private descriptor = 0;
  private cutAfterSkip = false;

  /**
   * Advances over `chunk` from `start` and returns where to cut it: the bytes before the cut
   * regenerate at most about SLICE_OUTPUT bytes.
   * @throws ZstdFormatError for bad magic, reserved bits, oversized windows or blocks.
   */
  next(chunk: Uint8Array, start: number): number {
    let pos = start;
    let budget = 0;
    while (pos < chunk.length) {
      if (this.state === 'skip') {
        const n = Math.min(this.skipLeft, chunk.length - pos);
        pos += n;
        this.skipLeft -= n;
        if (this.skipLeft > 0) break;
        this.expect(this.afterSkip);
        if (this.cutAfterSkip) {
          this.cutAfterSkip = false;
          return pos;
        }
        continue;
      }
      const n = Math.min(this.need - this.heldLength, chunk.length - pos);
      this.held.set(chunk.subarray(pos, pos + n), this.heldLength);
      this.heldLength += n;
      pos += n;
      if (this.heldLength < this.need) break;
      budget += this.complete();
      if (budget >= SLICE_OUTPUT) this.cutAfterSkip = true;
    }
    return pos;
  }

  /** @throws ZstdFormatError when the input stops inside a frame. */
  end(): void {
    if (this.state !== 'magic' || this.heldLength !== 0)
      throw new ZstdFormatError('zstd stream is truncated');
  }

  private expect(state: Exclude<ScanState, 'skip'>): void {
    this.state = state;
    this.heldLength = 0;
    this.need = state === 'block' ? 3 : state === 'descriptor' ? 1 : 4;
  }

  private skip(bytes: number, then: 'magic' | 'block'): void {
    this.afterSkip = then;
    this.skipLeft = bytes;
    if (bytes === 0) this.expect(then);
    else this.state = 'skip';
  }

  /** Handles a complete header; returns the most output the following bytes can produce. */
  private complete(): number {
    const h = this.held;
    switch (this.state) {
      case 'magic': {
        const magic = h.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) this.expect('descriptor');
        else if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) this.expect('skippableSize');
        else throw new ZstdFormatError('not a zstd frame (bad magic number)');
        return 0;
      }
      case 'descriptor': {
        const fhd = h.readUInt8(0);
        if (fhd & 0x08) throw new ZstdFormatError('zstd frame header has the reserved bit set');
        this.descriptor = fhd;
        const singleSegment = (fhd >> 5) & 1;
        const rest = (singleSegment ? 0 : 1) + dictIdBytes(fhd) + contentSizeBytes(fhd);
        this.state = 'header';
        this.heldLength = 0;
        this.need = rest;
        return 0;
      }
      case 'header': {
        const fhd = this.descriptor;
        let window: number;
        if ((fhd >> 5) & 1) {
          const at = dictIdBytes(fhd);
          const width = contentSizeBytes(fhd);
          window = width === 8 ? Number(h.readBigUInt64LE(at)) : h.readUIntLE(at, width);
          if (width === 2) window += 256;
        } else {
          const wd = h.readUInt8(0);
          const base = 2 ** (10 + (wd >> 3));
          window = base + (base / 8) * (wd & 7);
        }
        if (window > MAX_ZSTD_WINDOW) {
          throw new ZstdFormatError(
            `zstd frame needs a ${window}-byte window, more than the ${MAX_ZSTD_WINDOW} bytes allowed`,
          );
        }
        this.expect('block');
        return 0;
      }
      case 'block': {
        const v = h.readUIntLE(0, 3);
        const last = v & 1;
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        if (type === 3) throw new ZstdFormatError('zstd block has the reserved type');
        if (size > MAX_BLOCK) throw new ZstdFormatError(`zstd block of ${size} bytes exceeds 128 KiB`);
        const checksum = last && this.descriptor & 0x04 ? 4 : 0;
        // An RLE block stores one byte and repeats it `size` times.
        this.skip((type === 1 ? 1 : size) + checksum, last ? 'magic' : 'block');
        return type === 2 ? MAX_BLOCK : size;
      }
      case 'skippableSize': {
        this.skip(h.readUInt32LE(0), 'magic');
        return 0;
      }
      case 'skip':
        return 0;
    }
  }
}

function dictIdBytes(fhd: number): number {
  return [0, 1, 2, 4][fhd & 3] ?? 0;
}

function contentSizeBytes(fhd: number): number {
  const flag = fhd >> 6;
  if (flag === 0) return (fhd >> 5) & 1 ? 1 : 0;
  return [0, 2, 4, 8][flag] ?? 0;
}

/**
 * Streaming zstd decompression (pure JS, via fzstd) that honours backpressure even for input
 * that expands enormously, and refuses windows larger than MAX_ZSTD_WINDOW.
 * The stream fails with an Error describing the corruption for invalid or truncated input.
 */
export class ZstdDecompressStream extends Transform {
  private readonly scanner = new FrameScanner();
  private readonly decoder: Decompress;
  private pending: { chunk: Buffer; offset: number; callback: TransformCallback } | undefined;
  private waiting = false;

  constructor() {
    super({ readableHighWaterMark: 256 * 1024 });
    this.decoder = new Decompress((data) => {
      if (data.length > 0) this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = { chunk, offset: 0, callback };
    this.pump();
  }

  override _read(size: number): void {
    if (this.waiting) {
      this.waiting = false;
      this.pump();
      return;
    }
    super._read(size);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.scanner.end();
      this.decoder.push(new Uint8Array(0), true);
      callback();
    } catch (err) {
      callback(zstdError(err));
    }
  }

  private pump(): void {
    const p = this.pending;
    if (p === undefined) return;
    try {
      while (p.offset < p.chunk.length) {
        const cut = this.scanner.next(p.chunk, p.offset);
        this.decoder.push(p.chunk.subarray(p.offset, cut));
        p.offset = cut;
        if (p.offset < p.chunk.length && this.readableLength >= this.readableHighWaterMark) {
          this.waiting = true;
          return;
        }
      }
    } catch (err) {
      this.pending = undefined;
      p.callback(zstdError(err));
      return;
    }
    this.pending = undefined;
    p.callback();
  }
}

function zstdError(err: unknown): Error {
  if (err instanceof ZstdFormatError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`invalid zstd data: ${message}`, { cause: err });
}
