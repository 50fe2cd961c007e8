import type { Logger } from '../../core/index.js';
import type { FindingSummary } from '../../admission/index.js';
import type { ImageRef } from '../../imageref/index.js';
import { buildInventory, type BuildInventoryOptions } from '../../inventory/index.js';
import {
  RegistryImageSource,
  type BlobCache,
  type Image,
  type PlatformSpec,
  type RegistryClient,
} from '../../oci/index.js';
import type { Severity as PolicySeverity } from '../../policy/index.js';
import { matchInventory, type Finding, type Severity as ScanSeverity } from '../../scan/index.js';
import type { AdvisorySource } from '../../vulndb/index.js';

export type ScanRegistryImageOptions = {
  /** The platform to select from an index (default: the host's). */
  readonly platform?: PlatformSpec | undefined;
  /** Layers are downloaded here once; streamed directly without it. */
  readonly blobCache?: BlobCache | undefined;
  /** Inventory layer cache and its key, as the CLI's scan uses them. */
  readonly inventory?: Pick<BuildInventoryOptions, 'layerCache' | 'cacheKey' | 'limits'> | undefined;
  readonly logger?: Logger | undefined;
  /** Stops reading layers (the scan then rejects with the signal's reason). */
  readonly signal?: AbortSignal | undefined;
};

/** What a scan of a registry image found, reduced to what admission decides on. */
export type RegistryImageScan = {
  readonly findings: readonly FindingSummary[];
  /** Matcher and analyzer warnings (unsupported ecosystems, unreadable files), capped. */
  readonly warnings: readonly string[];
};

// The policy file's scale has info where the scanner has negligible; an unrated finding counts
// as the lowest too, so `failOn: info` is the way to refuse unrated findings.
const POLICY_SEVERITY: Readonly<Record<ScanSeverity, PolicySeverity>> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  negligible: 'info',
  unknown: 'info',
};

/**
 * Scanner findings as the vulnerabilities rule reads them. Shared by the webhook and
 * `scan --policy` (neither admission nor scan may depend on the other, so it lives here).
 */
export function toFindingSummaries(findings: readonly Finding[]): FindingSummary[] {
  return findings.map((f) => ({
    id: f.id,
    aliases: f.aliases,
    severity: POLICY_SEVERITY[f.severity],
    package: f.package.name,
    ...(f.fixedVersion === undefined ? {} : { fixedVersion: f.fixedVersion }),
  }));
}

/**
 * Opens a registry image (manifest and config only: no layer is read). The reference should
 * carry the digest, so that what is read is what was resolved.
 * @throws OciError from the registry (MANIFEST_UNKNOWN, REGISTRY_UNREACHABLE, TIMEOUT, …).
 */
export async function openRegistryImage(
  client: RegistryClient,
  ref: ImageRef,
  platform: PlatformSpec | undefined,
): Promise<Image> {
  // Layers are never opened here, so no blob cache is needed.
  const source = new RegistryImageSource(ref, { client, platform });
  try {
    return await source.open(platform === undefined ? {} : { platform });
  } finally {
    await source.close();
  }
}

/**
 * The library scan pipeline for one registry image, without the CLI's reporting: open it,
 * build its inventory from the layers, match the packages against the vulnerability database.
 * @throws OciError for registry failures; the layer reader's errors; the signal's reason.
 */
export async function scanRegistryImage(
  client: RegistryClient,
  ref: ImageRef,
  db: AdvisorySource,
  options: ScanRegistryImageOptions = {},
): Promise<RegistryImageScan> {
  const source = new RegistryImageSource(ref, {
    client,
    cache: options.blobCache,
    platform: options.platform,
    logger: options.logger,
  });
  try {
    const image = await source.open(options.platform === undefined ? {} : { platform: options.platform });
    const inventory = await buildInventory(image, {
      ...options.inventory,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const matched = matchInventory(inventory, db);
    return {
      findings: toFindingSummaries(matched.findings),
      warnings: [
        ...inventory.gaps.map((g) => `${g.analyzer}: ${g.path}: ${g.reason}`),
        ...matched.warnings,
      ].slice(0, 50),
    };
  } finally {
    await source.close();
  }
}
