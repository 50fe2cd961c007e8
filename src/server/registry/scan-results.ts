import type { Digest } from '../../core/index.js';
import type { Finding } from '../../scan/index.js';

/**
 * Where a manifest's scan stands: queued or running (`pending`), finished (`done`), failed
 * (`failed`, with the error), or not an image that can be scanned (`unsupported`: a signature,
 * an SBOM, an index without a platform the scanner reads...).
 */
export type ScanStatus = 'pending' | 'done' | 'failed' | 'unsupported';

/** The stored scan of one manifest digest. */
export type StoredScan = {
  readonly digest: Digest;
  readonly status: ScanStatus;
  /** The matcher's findings (status `done`); empty otherwise. */
  readonly findings: readonly Finding[];
  /** Why the scan failed or is unsupported. */
  readonly error?: string | undefined;
  /** When the findings were last matched (ISO 8601). */
  readonly scannedAt?: string | undefined;
  /** The vulnerability database's version the findings were matched against. */
  readonly dbVersion?: string | undefined;
};

/** Read access to scan results, for the pull gates and the management API. */
export interface ScanResultsReader {
  /** The scan of `digest`, or undefined when it was never queued. */
  scanOf(digest: Digest): Promise<StoredScan | undefined>;
}
