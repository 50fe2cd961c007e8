import { z } from 'zod';
import { truncateForMessage, type Digest } from '../core/index.js';
import { imageIndexSchema, imageManifestSchema, MediaType } from '../oci/index.js';
import { RegistryError } from './errors.js';

/** Largest manifest accepted on PUT (distribution spec "Pushing Manifests": 4 MiB at least). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Manifest media types the registry stores. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

/** What a pushed manifest says about itself and what it needs present. */
export type CheckedManifest = {
  readonly mediaType: string;
  readonly kind: 'manifest' | 'index';
  /** Blobs (config and layers) that must be in the repository. */
  readonly blobs: readonly Digest[];
  /** Child manifests (of an index) that must be in the repository. */
  readonly manifests: readonly Digest[];
  readonly subject?: Digest | undefined;
  readonly artifactType?: string | undefined;
  readonly configMediaType?: string | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
};

const mediaTypeProbe = z.object({ mediaType: z.string().optional() });

// Layers that live elsewhere (Windows foreign layers, OCI non-distributable layers with urls)
// are not pushed to the registry, so their absence is no fault.
function isExternalLayer(d: {
  readonly mediaType: string;
  readonly urls?: readonly string[] | undefined;
}): boolean {
  return (
    (d.urls?.length ?? 0) > 0 && (d.mediaType.includes('nondistributable') || d.mediaType.includes('foreign'))
  );
}

/**
 * Validates manifest bytes sent with `contentType`: JSON, a known media type, the body's own
 * `mediaType` (when present) equal to the header's, the schema of its kind. Pure: whether the
 * referenced content exists is the caller's check.
 * @throws RegistryError MANIFEST_INVALID naming what is wrong.
 */
export function checkManifest(bytes: Buffer, contentType: string | undefined): CheckedManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new RegistryError('MANIFEST_INVALID', `the manifest is not JSON: ${(err as Error).message}`);
  }
  const probe = mediaTypeProbe.safeParse(json);
  if (!probe.success) throw new RegistryError('MANIFEST_INVALID', 'the manifest is not a JSON object');
  const declared = probe.data.mediaType;
  const header = contentType?.split(';')[0]?.trim();
  if (declared !== undefined && header !== undefined && header !== '' && declared !== header) {
    throw new RegistryError(
      'MANIFEST_INVALID',
      `the manifest says mediaType "${truncateForMessage(declared, 100)}" but was sent as "${truncateForMessage(header, 100)}"`,
    );
  }
  const mediaType = declared ?? header;
  if (mediaType === undefined || mediaType === '' || !MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new RegistryError(
      'MANIFEST_INVALID',
      `unsupported manifest media type "${truncateForMessage(mediaType ?? '', 100)}": expected one of ${MANIFEST_MEDIA_TYPES.join(', ')}`,
    );
  }
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    const parsed = imageIndexSchema.safeParse(json);
    if (!parsed.success) throw invalid(mediaType, parsed.error);
    const index = parsed.data;
    return {
      mediaType,
      kind: 'index',
      blobs: [],
      manifests: index.manifests.map((m) => m.digest),
      subject: index.subject?.digest,
      artifactType: index.artifactType,
      annotations: index.annotations,
    };
  }
  const parsed = imageManifestSchema.safeParse(json);
  if (!parsed.success) throw invalid(mediaType, parsed.error);
  const m = parsed.data;
  return {
    mediaType,
    kind: 'manifest',
    blobs: [m.config.digest, ...m.layers.filter((l) => !isExternalLayer(l)).map((l) => l.digest)],
    manifests: [],
    subject: m.subject?.digest,
    // Referrers API: an image manifest without artifactType is listed under its config's type.
    artifactType: m.artifactType ?? m.config.mediaType,
    configMediaType: m.config.mediaType,
    annotations: m.annotations,
  };
}

function invalid(mediaType: string, error: z.ZodError): RegistryError {
  const first = error.issues[0];
  const where = first === undefined ? '' : ` at ${first.path.join('.') || '(root)'}: ${first.message}`;
  return new RegistryError('MANIFEST_INVALID', `the manifest is not a valid ${mediaType}${where}`);
}
