import {
  errorMessage,
  isPortcullisError,
  truncateForMessage,
  type Limits,
  type Logger,
} from '../../core/index.js';
import { OciError } from '../errors.js';
import type { Layer } from '../image.js';

/** How a layer is named in messages: its position and stored digest. */
export function layerLabel(layer: Layer): string {
  return `layer ${layer.index} (${layer.descriptor.digest})`;
}

/** LIMIT_EXCEEDED naming the limit, its value and the option that raises it. */
export function limitExceeded(limit: keyof Limits, value: number, what: string): OciError {
  return new OciError(
    'LIMIT_EXCEEDED',
    `${what}: over the ${limit} limit of ${value}; if the image is trusted, raise it with limits.${limit}`,
  );
}

export function fileTooLarge(path: string, size: number, maxFileBytes: number): OciError {
  return limitExceeded(
    'maxFileBytes',
    maxFileBytes,
    `wanted file "${truncateForMessage(path)}" has ${size} bytes, more than can be kept in memory`,
  );
}

/**
 * Errors from decompressors and the tar parser become LAYER_INVALID naming the layer; coded
 * errors (a source's DIGEST_MISMATCH, our own limits) pass through unchanged.
 */
export function layerError(err: unknown, layer: Layer): unknown {
  if (isPortcullisError(err)) return err;
  return new OciError('LAYER_INVALID', `${layerLabel(layer)} cannot be read: ${errorMessage(err)}`, {
    cause: err,
  });
}

// A hostile layer can produce one warning per entry; past this many only a count is kept.
const MAX_WARNINGS = 1000;

/** Collects skipped-entry messages, logging each and keeping memory bounded. */
export class Warnings {
  private readonly list: string[] = [];
  private dropped = 0;
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  add(message: string): void {
    if (this.list.length >= MAX_WARNINGS) {
      this.dropped++;
      return;
    }
    this.list.push(message);
    this.logger.warn(message);
  }

  toArray(): readonly string[] {
    return this.dropped === 0
      ? [...this.list]
      : [...this.list, `…and ${this.dropped} more warnings not shown`];
  }
}
