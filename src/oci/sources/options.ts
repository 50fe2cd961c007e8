import { defaultCacheDir, resolveLimits, silentLogger, type Limits, type Logger } from '../../core/index.js';
import type { PlatformSpec } from '../platform.js';

/** What every local image source accepts. */
export type SourceOptions = {
  /** Where temporary extractions go; defaults to `defaultCacheDir()`. Nothing is written elsewhere. */
  readonly cacheDir?: string | undefined;
  /** Platform to select from an index unless `open()` is given one; defaults to the host's. */
  readonly platform?: PlatformSpec | undefined;
  readonly logger?: Logger | undefined;
  readonly limits?: Partial<Limits> | undefined;
};

/** SourceOptions with every default filled in. */
export type ResolvedSourceOptions = {
  readonly cacheDir: string;
  readonly platform: PlatformSpec | undefined;
  readonly logger: Logger;
  readonly limits: Limits;
};

/** Fills in the defaults: `defaultCacheDir()`, the silent logger, DEFAULT_LIMITS. Never throws. */
export function resolveSourceOptions(options: SourceOptions | undefined): ResolvedSourceOptions {
  return {
    cacheDir: options?.cacheDir ?? defaultCacheDir(),
    platform: options?.platform,
    logger: options?.logger ?? silentLogger,
    limits: resolveLimits(options?.limits),
  };
}
