import { errorMessage, isPortcullisError, truncateForMessage } from '../../core/index.js';
import { MediaType, parseManifest, type ImageManifest } from '../../oci/index.js';

/** Whether a stored manifest is an image the scanner reads, and why not when it is not. */
export type ScanTarget =
  { readonly kind: 'image' } | { readonly kind: 'unsupported'; readonly reason: string };

const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.ociConfig, MediaType.dockerConfig]);

// Filesystem layers as the OCI image spec and Docker's schema 2 name them; anything else in
// `layers` (a cosign signature payload, a DSSE envelope, an SBOM document) makes it an artifact.
function isFilesystemLayer(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.') ||
    mediaType === MediaType.dockerLayerGzip ||
    mediaType === MediaType.dockerLayerForeignGzip ||
    mediaType === 'application/x-tar'
  );
}

function imageOrArtifact(manifest: ImageManifest): ScanTarget {
  if (manifest.artifactType !== undefined) {
    return {
      kind: 'unsupported',
      reason: `an artifact of type ${truncateForMessage(manifest.artifactType, 100)}, not an image`,
    };
  }
  if (!IMAGE_CONFIG_TYPES.has(manifest.config.mediaType)) {
    return {
      kind: 'unsupported',
      reason: `an artifact with config ${truncateForMessage(manifest.config.mediaType, 100)}, not an image`,
    };
  }
  const other = manifest.layers.find((l) => !isFilesystemLayer(l.mediaType));
  if (other !== undefined) {
    return {
      kind: 'unsupported',
      reason: `not an image: it has a ${truncateForMessage(other.mediaType, 100)} layer (a signature, attestation or other artifact)`,
    };
  }
  return { kind: 'image' };
}

/**
 * Decides from the stored manifest bytes whether the scanner reads it: image manifests whose
 * config is an image config and whose layers are filesystem layers are scanned; indexes are
 * not (each platform manifest is pushed, and scanned, on its own); signatures, attestations,
 * SBOMs and other artifacts are not images. Never throws: unreadable manifests are unsupported.
 */
export function classifyManifest(bytes: Buffer): ScanTarget {
  try {
    const parsed = parseManifest(bytes, undefined, 'stored manifest');
    if (parsed.kind === 'index') {
      return {
        kind: 'unsupported',
        reason: 'an index: its platform manifests are scanned on their own',
      };
    }
    return imageOrArtifact(parsed.manifest);
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    return { kind: 'unsupported', reason: truncateForMessage(errorMessage(err), 300) };
  }
}
