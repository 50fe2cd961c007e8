import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CoreError, truncateForMessage } from './errors.js';

/** A content digest in OCI form, `algorithm:hex`. Only validated strings get this brand. */
export type Digest = string & { readonly __digest: unique symbol };

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

// OCI image-spec descriptor.md "Digests": registered algorithms use lowercase hex of fixed length.
const DIGEST_RE = /^(sha256|sha512):([a-f0-9]+)$/;

/** Parses and validates a digest string. Throws CoreError DIGEST_INVALID naming the input. */
export function parseDigest(input: string): Digest {
  const d = tryParseDigest(input);
  if (d === undefined) {
    throw new CoreError(
      'DIGEST_INVALID',
      `invalid digest "${truncateForMessage(input)}": expected sha256:<64 hex> or sha512:<128 hex>`,
    );
  }
  return d;
}

export function tryParseDigest(input: string): Digest | undefined {
  if (input.length > 7 + 128) return undefined;
  const m = DIGEST_RE.exec(input);
  if (!m) return undefined;
  const alg = m[1] as DigestAlgorithm;
  return m[2]?.length === HEX_LENGTH[alg] ? (input as Digest) : undefined;
}

export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.slice(0, d.indexOf(':')) as DigestAlgorithm;
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Digest of an in-memory buffer. */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/**
 * A pass-through stream that hashes and counts what flows through it and, at the end, fails
 * with DIGEST_MISMATCH or SIZE_MISMATCH if the content is not what was promised. The error
 * surfaces before the final chunk is acknowledged, so a consumer that waits for 'finish'
 * never mistakes corrupt content for good.
 */
export class VerifyingStream extends Transform {
  readonly expected: Digest;
  readonly expectedSize: number | undefined;
  private readonly what: string;
  private readonly hash: Hash;
  private count = 0;

  constructor(expected: Digest, expectedSize?: number, what = 'blob') {
    super();
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.hash = createHash(digestAlgorithm(expected));
    this.what = what;
  }

  get bytes(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.expectedSize !== undefined && this.count > this.expectedSize) {
      cb(sizeError(this.what, this.expected, this.expectedSize, this.count, true));
      return;
    }
    this.hash.update(chunk);
    cb(undefined, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.expectedSize !== undefined && this.count !== this.expectedSize) {
      cb(sizeError(this.what, this.expected, this.expectedSize, this.count, false));
      return;
    }
    const actual = `${digestAlgorithm(this.expected)}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      cb(
        new CoreError(
          'DIGEST_MISMATCH',
          `${this.what} ${this.expected} failed verification: content hashes to ${actual}`,
        ),
      );
      return;
    }
    cb();
  }
}

function sizeError(what: string, digest: Digest, expected: number, got: number, over: boolean): CoreError {
  return new CoreError(
    'SIZE_MISMATCH',
    `${what} ${digest} has the wrong size: expected ${expected} bytes, got ${over ? 'more than ' : ''}${over ? expected : got}`,
  );
}
