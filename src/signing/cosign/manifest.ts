import type { KeyObject } from 'node:crypto';
import {
  digestAlgorithm,
  digestHex,
  digestOf,
  errorMessage,
  parseDigest,
  type Digest,
} from '../../core/index.js';
import {
  MediaType,
  imageManifestSchema,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from '../../oci/index.js';
import { CosignError } from './errors.js';
import { encodeGoJson, GoStruct, type GoJson } from './gojson.js';
import { verifySignatureBytes } from './crypto.js';

/** Layer media type of a simple-signing payload (cosign `pkg/types`: SimpleSigningMediaType). */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

/**
 * Layer annotation keys cosign uses (`pkg/oci/static/signature.go`). The namespaces really do
 * differ: only the signature key is `dev.cosignproject`.
 */
export const COSIGN_ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

/** cosign refuses to grow a signature manifest beyond this many layers (`maxLayers`). */
export const MAX_SIGNATURE_LAYERS = 1000;

/** A signature manifest ready to push: the manifest, its config blob and the digests of both. */
export type SignatureManifest = {
  readonly manifest: ImageManifest;
  /** Manifest bytes as go-containerregistry serializes them. */
  readonly bytes: Buffer;
  readonly digest: Digest;
  readonly mediaType: string;
  /** The config blob, byte-identical to cosign's for the same layers. */
  readonly config: Buffer;
  readonly configDigest: Digest;
};

/**
 * The tag cosign stores an image's signatures under: `sha256-<hex>.sig` (`pkg/oci/remote`,
 * SignatureTagSuffix). `suffix` is `sig`, `att` or `sbom`.
 * @throws CoreError DIGEST_INVALID.
 */
export function signatureTag(imageDigest: string, suffix: 'sig' | 'att' | 'sbom' = 'sig'): string {
  const d = parseDigest(imageDigest);
  return `${digestAlgorithm(d)}-${digestHex(d)}.${suffix}`;
}

/**
 * The config blob cosign pushes with a signature manifest: go-containerregistry's empty image
 * after `mutate.Append` of each layer, i.e. one zero-time history entry and one diff_id per
 * layer (the layers are uncompressed, so diff_ids equal layer digests).
 */
export function signatureConfigBlob(layerDigests: readonly string[]): Buffer {
  const zeroTime = '0001-01-01T00:00:00Z';
  const value = new GoStruct([
    ['architecture', ''],
    ['created', zeroTime],
    ['history', layerDigests.map(() => new GoStruct([['created', zeroTime]]))],
    ['os', ''],
    [
      'rootfs',
      new GoStruct([
        ['type', 'layers'],
        ['diff_ids', [...layerDigests]],
      ]),
    ],
    ['config', new GoStruct([])],
  ]);
  return Buffer.from(encodeGoJson(value), 'utf8');
}

function platformJson(p: Platform): GoJson {
  const fields: [string, GoJson][] = [
    ['architecture', p.architecture],
    ['os', p.os],
  ];
  if (p['os.version'] !== undefined) fields.push(['os.version', p['os.version']]);
  if (p['os.features'] !== undefined) fields.push(['os.features', p['os.features']]);
  if (p.variant !== undefined) fields.push(['variant', p.variant]);
  if (p.features !== undefined) fields.push(['features', p.features]);
  return new GoStruct(fields);
}

// go-containerregistry v1.Descriptor field order.
function descriptorJson(d: Descriptor): GoJson {
  const fields: [string, GoJson][] = [
    ['mediaType', d.mediaType],
    ['size', d.size],
    ['digest', d.digest],
  ];
  if (d.data !== undefined) fields.push(['data', d.data]);
  if (d.urls !== undefined && d.urls.length > 0) fields.push(['urls', d.urls]);
  if (d.annotations !== undefined && Object.keys(d.annotations).length > 0)
    fields.push(['annotations', { ...d.annotations }]);
  if (d.platform !== undefined) fields.push(['platform', platformJson(d.platform)]);
  if (d.artifactType !== undefined) fields.push(['artifactType', d.artifactType]);
  return new GoStruct(fields);
}

function manifestJson(m: ImageManifest): GoJson {
  const fields: [string, GoJson][] = [['schemaVersion', m.schemaVersion]];
  if (m.mediaType !== undefined) fields.push(['mediaType', m.mediaType]);
  fields.push(['config', descriptorJson(m.config)], ['layers', m.layers.map(descriptorJson)]);
  if (m.annotations !== undefined && Object.keys(m.annotations).length > 0)
    fields.push(['annotations', { ...m.annotations }]);
  if (m.subject !== undefined) fields.push(['subject', descriptorJson(m.subject)]);
  return new GoStruct(fields);
}

/**
 * The layer descriptor for one signature: the payload's digest and size, the base64 signature
 * in `dev.cosignproject.cosign/signature`, plus any other annotations (certificate, bundle).
 */
export function signatureLayer(
  payload: Uint8Array,
  signatureBase64: string,
  annotations: Readonly<Record<string, string>> = {},
): Descriptor {
  return {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    size: payload.length,
    digest: digestOf(payload),
    annotations: { ...annotations, [COSIGN_ANNOTATIONS.signature]: signatureBase64 },
  };
}

/**
 * Builds the signature manifest for these layers, with cosign's config blob. `base` carries the
 * media types of an existing manifest (a Docker-typed one stays Docker-typed).
 * @throws CosignError COSIGN_TOO_MANY_SIGNATURES beyond 1000 layers.
 */
export function buildSignatureManifest(
  layers: readonly Descriptor[],
  base?: Pick<ImageManifest, 'mediaType' | 'config' | 'annotations'>,
): SignatureManifest {
  if (layers.length > MAX_SIGNATURE_LAYERS) {
    throw new CosignError(
      'COSIGN_TOO_MANY_SIGNATURES',
      `a signature manifest holds at most ${MAX_SIGNATURE_LAYERS} signatures; this one would hold ${layers.length}`,
    );
  }
  const config = signatureConfigBlob(layers.map((l) => l.digest));
  const configDigest = digestOf(config);
  const docker = base?.mediaType === MediaType.dockerManifest;
  const mediaType = base?.mediaType ?? MediaType.ociManifest;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: base?.config.mediaType ?? (docker ? MediaType.dockerConfig : MediaType.ociConfig),
      size: config.length,
      digest: configDigest,
    },
    layers: [...layers],
    ...(base?.annotations !== undefined ? { annotations: base.annotations } : {}),
  };
  const bytes = Buffer.from(encodeGoJson(manifestJson(manifest)), 'utf8');
  return { manifest, bytes, digest: digestOf(bytes), mediaType, config, configDigest };
}

/**
 * Validates the manifest found at a `.sig` tag.
 * @throws CosignError COSIGN_SIGNATURE_MANIFEST_INVALID for anything but an image manifest.
 */
export function parseSignatureManifest(bytes: Uint8Array): ImageManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (err) {
    throw new CosignError(
      'COSIGN_SIGNATURE_MANIFEST_INVALID',
      `signature manifest is not JSON: ${errorMessage(err)}`,
    );
  }
  const r = imageManifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CosignError(
      'COSIGN_SIGNATURE_MANIFEST_INVALID',
      `signature manifest is not an image manifest: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return r.data;
}

export type AppendSignatureOptions = {
  /**
   * The signer's public key. With it, an existing layer over the same payload (same digest,
   * media type and annotations) whose signature verifies with this key counts as a duplicate,
   * as cosign's dupe detector does: ECDSA signatures are randomized, so re-signing with the same
   * key would otherwise add a layer each time.
   */
  readonly signerKey?: KeyObject | undefined;
};

export type AppendSignatureResult = SignatureManifest & {
  /** False when the signature was already there and the manifest is unchanged in content. */
  readonly added: boolean;
};

function isDuplicate(
  existing: Descriptor,
  layer: Descriptor,
  payload: Uint8Array,
  key: KeyObject | undefined,
): boolean {
  if (existing.digest !== layer.digest || existing.mediaType !== layer.mediaType) return false;
  const have = existing.annotations ?? {};
  const want = layer.annotations ?? {};
  for (const [k, v] of Object.entries(want)) {
    if (k !== COSIGN_ANNOTATIONS.signature && have[k] !== v) return false;
  }
  const existingSig = have[COSIGN_ANNOTATIONS.signature];
  if (existingSig === undefined) return false;
  if (existingSig === want[COSIGN_ANNOTATIONS.signature]) return true;
  return key !== undefined && verifySignatureBytes(key, payload, Buffer.from(existingSig, 'base64'));
}

/**
 * Adds a signature layer to an existing signature manifest (or starts one), as `cosign sign`
 * does: the config is rebuilt for the new layer list, and a signature already present (same
 * payload and signature, or see `signerKey`) is not added twice.
 * @throws CosignError COSIGN_TOO_MANY_SIGNATURES.
 */
export function appendSignature(
  existing: ImageManifest | undefined,
  payload: Uint8Array,
  layer: Descriptor,
  opts: AppendSignatureOptions = {},
): AppendSignatureResult {
  const layers = existing?.layers ?? [];
  const added = !layers.some((l) => isDuplicate(l, layer, payload, opts.signerKey));
  const built = buildSignatureManifest(added ? [...layers, layer] : layers, existing);
  return { ...built, added };
}
