import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { digestAlgorithm, type Digest } from '../../core/index.js';
import { OciError } from '../errors.js';
import type { Layer } from '../image.js';
import { openDecompressed } from './decompress.js';
import { layerError, layerLabel } from './problems.js';

/**
 * A tar header as tar-stream really produces it: its typings promise more than it delivers
 * (unknown type flags come out as null, an absent link name as null).
 */
export type TarHeader = {
  readonly name: string;
  readonly type: string | undefined;
  readonly size: number | undefined;
  readonly mode: number | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly mtime: Date | undefined;
  readonly linkname: string | undefined;
};

function toTarHeader(h: Header): TarHeader {
  const raw: { readonly [K in keyof Header]: Header[K] | null | undefined } = h;
  return {
    name: raw.name ?? '',
    type: raw.type ?? undefined,
    size: raw.size ?? undefined,
    mode: raw.mode ?? undefined,
    uid: raw.uid ?? undefined,
    gid: raw.gid ?? undefined,
    mtime: raw.mtime ?? undefined,
    linkname: raw.linkname ?? undefined,
  };
}

/** Called per tar entry; returns where to deliver the entry's content, or undefined to skip it. */
export type EntryVisitor = (header: TarHeader, ordinal: number) => ((content: Buffer) => void) | undefined;

export type ScanOptions = {
  readonly signal: AbortSignal | undefined;
  /** Decompressed bytes this scan may produce before failing with `tooManyBytes()`. */
  readonly maxBytes: number;
  readonly tooManyBytes: () => Error;
  readonly onEntry: EntryVisitor;
};

export type ScanResult = { readonly bytes: number; readonly entries: number };

/**
 * Streams one layer: decompress, hash and count the tar bytes, parse entries and hand each to
 * `onEntry`. Content is buffered only for entries whose visitor asks for it. Every stream is
 * destroyed on failure or abort.
 *
 * @throws OciError DIFFID_MISMATCH when the tar does not hash to the layer's diffID,
 *   LAYER_INVALID for corrupt compression or tar data, whatever `tooManyBytes` or `onEntry`
 *   throw, the source's own errors, and the signal's reason on abort.
 */
export async function scanLayer(layer: Layer, options: ScanOptions): Promise<ScanResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  let source: Readable;
  try {
    source = await layer.open();
  } catch (err) {
    throw layerError(err, layer);
  }
  // The source can fail while the compression is being sniffed, before the listeners below
  // exist; keep that error instead of letting it go unhandled.
  let early: { err: unknown } | undefined;
  let onSourceError = (err: unknown): void => {
    early ??= { err };
  };
  source.on('error', (err) => {
    onSourceError(err);
  });
  // Sniffing waits for the first bytes, which a stalled source may never send.
  const abortSniffing = (): void => {
    source.destroy();
  };
  signal?.addEventListener('abort', abortSniffing, { once: true });
  let tar: Readable;
  try {
    ({ tar } = await openDecompressed(source, layer.descriptor.mediaType));
  } catch (err) {
    signal?.throwIfAborted();
    throw layerError(early?.err ?? err, layer);
  } finally {
    signal?.removeEventListener('abort', abortSniffing);
  }
  if (signal?.aborted) {
    tar.destroy();
    source.destroy();
    signal.throwIfAborted();
  }

  return new Promise<ScanResult>((resolve, reject) => {
    const parser = extract();
    const hash = createHash(digestAlgorithm(layer.diffID));
    let bytes = 0;
    let ordinal = 0;
    let settled = false;

    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const fail = (err: unknown, fromStreams: boolean): void => {
      if (!settle()) return;
      parser.destroy();
      tar.destroy();
      source.destroy();
      const reason = fromStreams ? layerError(err, layer) : err;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    const onAbort = (): void => {
      fail(signal?.reason, false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    // Error listeners stay attached after settling: destroying a pipeline can still emit.
    onSourceError = (err) => {
      fail(err, true);
    };
    if (early !== undefined) fail(early.err, true);
    tar.on('error', (err) => {
      fail(err, true);
    });
    parser.on('error', (err: unknown) => {
      fail(err, true);
    });

    tar.on('data', (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        fail(options.tooManyBytes(), false);
        return;
      }
      hash.update(chunk);
      if (!parser.write(chunk)) tar.pause();
    });
    parser.on('drain', () => {
      if (!settled) tar.resume();
    });
    tar.once('end', () => {
      if (!settled) parser.end(undefined);
    });

    parser.on('entry', (header, entry, next) => {
      if (settled) return;
      const tarHeader = toTarHeader(header);
      let deliver: ((content: Buffer) => void) | undefined;
      try {
        deliver = options.onEntry(tarHeader, ordinal++);
      } catch (err) {
        fail(err, false);
        return;
      }
      if (deliver === undefined) {
        entry.on('end', () => {
          next();
        });
        entry.resume();
        return;
      }
      // One buffer of the size the header announces (the visitor has checked it against the
      // limits), filled as chunks arrive: the chunks are views into 256 KiB decompressor
      // buffers, so neither they nor a second copy of a large file stay alive while it streams.
      const content = Buffer.allocUnsafe(tarHeader.size ?? 0);
      let length = 0;
      entry.on('data', (data) => {
        const chunk = data as Buffer;
        if (length + chunk.length > content.length) {
          fail(new Error(`tar entry "${tarHeader.name}" holds more bytes than its header says`), true);
          return;
        }
        chunk.copy(content, length);
        length += chunk.length;
      });
      entry.on('end', () => {
        if (settled) return;
        try {
          deliver(length === content.length ? content : content.subarray(0, length));
        } catch (err) {
          fail(err, false);
          return;
        }
        next();
      });
    });

    parser.on('finish', () => {
      if (settled) return;
      const actual = `${digestAlgorithm(layer.diffID)}:${hash.digest('hex')}` as Digest;
      if (actual !== layer.diffID) {
        fail(
          new OciError(
            'DIFFID_MISMATCH',
            `${layerLabel(layer)}: uncompressed content hashes to ${actual}, but the image config's diff_ids says ${layer.diffID}`,
          ),
          false,
        );
        return;
      }
      settle();
      resolve({ bytes, entries: ordinal });
    });
  });
}
