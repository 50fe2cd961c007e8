import type { Finding } from './types.js';

/** The annotations an image may carry to name the image it was built on (OCI image-spec annotations.md). */
export const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';
export const BASE_NAME_ANNOTATION = 'org.opencontainers.image.base.name';

export type BaseLayerSplit = {
  /** Findings in layers the image added on top of its base. */
  readonly kept: readonly Finding[];
  /** Findings in packages that came with the base image. */
  readonly excluded: readonly Finding[];
  /** How many of the image's first layers are the base image's layers. */
  readonly baseLayers: number;
};

/**
 * Separates findings that come from the base image. The base's layers must be the first layers
 * of the image, in order (that is what building FROM it produces); when they are not, nothing
 * is excluded and `baseLayers` is 0, so a wrong `--base` can never hide findings.
 */
export function splitBaseImageFindings(
  findings: readonly Finding[],
  imageDiffIDs: readonly string[],
  baseDiffIDs: readonly string[],
): BaseLayerSplit {
  const isPrefix =
    baseDiffIDs.length > 0 &&
    baseDiffIDs.length <= imageDiffIDs.length &&
    baseDiffIDs.every((d, i) => imageDiffIDs[i] === d);
  if (!isPrefix) return { kept: findings, excluded: [], baseLayers: 0 };
  const baseCount = baseDiffIDs.length;
  const kept: Finding[] = [];
  const excluded: Finding[] = [];
  for (const f of findings) {
    const layer = f.package.location.layerIndex;
    if (layer >= 0 && layer < baseCount && f.package.location.diffID === imageDiffIDs[layer])
      excluded.push(f);
    else kept.push(f);
  }
  return { kept, excluded, baseLayers: baseCount };
}
