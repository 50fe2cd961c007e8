import { digestOf } from '../../core/index.js';
import type { Descriptor, ImageManifest } from '../../oci/index.js';
import {
  COSIGN_ANNOTATIONS,
  buildSignatureManifest,
  signatureTag,
  type SignatureManifest,
} from '../cosign/manifest.js';
import { DSSE_ENVELOPE_MEDIA_TYPE } from './dsse.js';

// `.att` manifests (cosign `specs/ATTESTATION_SPEC.md`): the same image-manifest shape and
// config blob as `.sig`, one layer per DSSE envelope.

/** Layer annotation naming the statement's predicate type (cosign `pkg/oci/static`: a bare key). */
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

/**
 * The tag cosign stores an image's attestations under: `sha256-<hex>.att`.
 * @throws CoreError DIGEST_INVALID.
 */
export function attestationTag(imageDigest: string): string {
  return signatureTag(imageDigest, 'att');
}

/**
 * The layer descriptor for one envelope: DSSE media type, the `predicateType` annotation and an
 * empty `dev.cosignproject.cosign/signature` (the signature is inside the envelope).
 */
export function attestationLayer(
  envelope: Uint8Array,
  predicateType: string,
  annotations: Readonly<Record<string, string>> = {},
): Descriptor {
  return {
    mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
    size: envelope.length,
    digest: digestOf(envelope),
    annotations: {
      ...annotations,
      [COSIGN_ANNOTATIONS.signature]: '',
      [PREDICATE_TYPE_ANNOTATION]: predicateType,
    },
  };
}

export type AppendAttestationOptions = {
  /**
   * Drop the existing attestations of the same predicate type first (`cosign attest --replace`);
   * by default the new one is added beside them.
   */
  readonly replace?: boolean | undefined;
};

export type AppendAttestationResult = SignatureManifest & {
  /** False when the identical envelope was already there. */
  readonly added: boolean;
  /** How many attestations `replace` removed. */
  readonly replaced: number;
};

/**
 * Adds an attestation layer to an existing `.att` manifest (or starts one), as `cosign attest`
 * does; the config blob is rebuilt for the new layer list.
 * @throws CosignError COSIGN_TOO_MANY_SIGNATURES beyond 1000 layers.
 */
export function appendAttestation(
  existing: ImageManifest | undefined,
  layer: Descriptor,
  opts: AppendAttestationOptions = {},
): AppendAttestationResult {
  const type = layer.annotations?.[PREDICATE_TYPE_ANNOTATION];
  const before = existing?.layers ?? [];
  const kept =
    opts.replace === true
      ? before.filter((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION] !== type)
      : before;
  const added = !kept.some((l) => l.digest === layer.digest && l.mediaType === layer.mediaType);
  const built = buildSignatureManifest(added ? [...kept, layer] : kept, existing);
  return { ...built, added, replaced: before.length - kept.length };
}
