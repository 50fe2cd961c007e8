import type { KeyObject } from 'node:crypto';
import { errorMessage, isPortcullisError, parseDigest, type Digest } from '../../core/index.js';
import type { ImageRef, RepositoryRef } from '../../imageref/index.js';
import {
  MediaType,
  OciError,
  type Descriptor,
  type ImageManifest,
  type RegistryClient,
} from '../../oci/index.js';
import { signPayload } from './crypto.js';
import { appendSignature, parseSignatureManifest, signatureLayer, signatureTag } from './manifest.js';
import { MAX_SIMPLE_SIGNING_PAYLOAD_BYTES, simpleSigningPayload } from './payload.js';
import {
  candidatesFromSignatureManifest,
  verifySimpleSignatures,
  type SignatureCandidate,
  type SignatureVerification,
} from './verify.js';

/** Bundle media types cosign v3 and sigstore clients attach as OCI 1.1 referrers. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
];

/** What an image's signatures look like in its repository, fetched but not yet verified. */
export type FetchedSignatures = {
  readonly imageDigest: Digest;
  /** The `.sig` tag, and the manifest found there (undefined when the tag does not exist). */
  readonly tag: string;
  readonly signatureManifest: { readonly digest: Digest; readonly manifest: ImageManifest } | undefined;
  /** One candidate per `.sig` layer, each payload fetched and checked against its digest. */
  readonly candidates: readonly SignatureCandidate[];
  /**
   * Referrers of the image whose artifact type is a Sigstore bundle (cosign v3's default
   * format). Discovered only: their bundles are not fetched or verified here.
   */
  readonly bundleReferrers: readonly Descriptor[];
  /** Things that went wrong without preventing the rest (referrers listing failed, ...). */
  readonly problems: readonly string[];
};

export type FetchSignaturesOptions = {
  /** Look for OCI 1.1 referrers too (default true). */
  readonly referrers?: boolean | undefined;
};

function isUnknown(err: unknown): boolean {
  return err instanceof OciError && err.code === 'MANIFEST_UNKNOWN';
}

async function readSignatureManifest(
  client: RegistryClient,
  repo: RepositoryRef,
  tag: string,
): Promise<{ digest: Digest; manifest: ImageManifest } | undefined> {
  let fetched;
  try {
    fetched = await client.getManifest(
      { registry: repo.registry, repository: repo.repository, tag },
      { accept: [MediaType.ociManifest, MediaType.dockerManifest] },
    );
  } catch (err) {
    if (isUnknown(err)) return undefined;
    throw err;
  }
  return { digest: fetched.digest, manifest: parseSignatureManifest(fetched.bytes) };
}

/**
 * Fetches the signatures of `imageDigest` in `repo`: the layers of the `sha256-<hex>.sig`
 * manifest with their payloads (each verified against its layer digest by the client), and the
 * Sigstore bundles among the image's referrers. A payload that cannot be fetched becomes a
 * candidate without payload, so that verification reports it with the others.
 * @throws OciError for registry failures reading the `.sig` tag (not for its absence);
 *   CosignError COSIGN_SIGNATURE_MANIFEST_INVALID when the tag holds something else.
 */
export async function fetchSignatures(
  client: RegistryClient,
  repo: RepositoryRef,
  imageDigest: string,
  opts: FetchSignaturesOptions = {},
): Promise<FetchedSignatures> {
  const digest = parseDigest(imageDigest);
  const tag = signatureTag(digest);
  const problems: string[] = [];
  const sig = await readSignatureManifest(client, repo, tag);
  const payloads = new Map<string, Uint8Array>();
  const payloadErrors = new Map<string, string>();
  for (const layer of sig?.manifest.layers ?? []) {
    if (payloads.has(layer.digest) || payloadErrors.has(layer.digest)) continue;
    try {
      payloads.set(layer.digest, await client.fetchBlob(repo, layer, MAX_SIMPLE_SIGNING_PAYLOAD_BYTES));
    } catch (err) {
      if (!isPortcullisError(err)) throw err;
      payloadErrors.set(layer.digest, errorMessage(err));
    }
  }
  const candidates = sig
    ? candidatesFromSignatureManifest(sig.manifest, payloads, tag).map((c) => {
        const why = c.layerDigest !== undefined ? payloadErrors.get(c.layerDigest) : undefined;
        return why !== undefined ? { ...c, payloadError: why } : c;
      })
    : [];
  let bundleReferrers: Descriptor[] = [];
  if (opts.referrers !== false) {
    try {
      const index = await client.getReferrers(repo, digest);
      bundleReferrers = index.manifests.filter(
        (d) => d.artifactType !== undefined && SIGSTORE_BUNDLE_MEDIA_TYPES.includes(d.artifactType),
      );
    } catch (err) {
      if (!isPortcullisError(err)) throw err;
      problems.push(`listing referrers failed: ${errorMessage(err)}`);
    }
  }
  return { imageDigest: digest, tag, signatureManifest: sig, candidates, bundleReferrers, problems };
}

export type PushSignatureOptions = {
  /** More layer annotations (certificate, chain, bundle); the signature annotation is set. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** The signer's public key, so that its earlier signature of the same payload is not repeated. */
  readonly signerKey?: KeyObject | undefined;
};

export type PushSignatureResult = {
  readonly tag: string;
  /** False when an identical signature was already there; nothing was pushed then. */
  readonly added: boolean;
  readonly manifestDigest: Digest;
  /** How many signatures the manifest at the tag now holds. */
  readonly signatures: number;
};

/**
 * Appends a signature to the image's `sha256-<hex>.sig` manifest as `cosign sign` does: read
 * the manifest (if any), add the layer, push the payload and config blobs, then the manifest
 * by tag. Like cosign's, this read-modify-write races with concurrent signers.
 * @throws OciError for registry failures; CosignError COSIGN_TOO_MANY_SIGNATURES,
 *   COSIGN_SIGNATURE_MANIFEST_INVALID (the tag holds something that is not a manifest).
 */
export async function pushSignature(
  client: RegistryClient,
  repo: RepositoryRef,
  imageDigest: string,
  payload: Uint8Array,
  signatureBase64: string,
  opts: PushSignatureOptions = {},
): Promise<PushSignatureResult> {
  const tag = signatureTag(imageDigest);
  const existing = await readSignatureManifest(client, repo, tag);
  const layer = signatureLayer(payload, signatureBase64, opts.annotations);
  const result = appendSignature(existing?.manifest, payload, layer, { signerKey: opts.signerKey });
  if (!result.added && existing !== undefined) {
    return { tag, added: false, manifestDigest: existing.digest, signatures: result.manifest.layers.length };
  }
  const payloadBuf = Buffer.from(payload);
  await client.pushBlob(repo, layer, () => payloadBuf);
  await client.pushBlob(
    repo,
    { digest: result.configDigest, size: result.config.length },
    () => result.config,
  );
  const manifestDigest = await client.putManifest(
    { registry: repo.registry, repository: repo.repository, tag },
    result.bytes,
    result.mediaType,
  );
  return { tag, added: result.added, manifestDigest, signatures: result.manifest.layers.length };
}

/**
 * The manifest digest a reference names: its digest when it has one, else what the registry
 * says the tag points to now (signing by tag signs whatever the tag resolves to at this moment).
 * @throws OciError MANIFEST_UNKNOWN when the tag does not exist, plus transport errors.
 */
export async function resolveImageDigest(client: RegistryClient, ref: ImageRef): Promise<Digest> {
  if (ref.digest !== undefined) return parseDigest(ref.digest);
  const head = await client.headManifest(ref);
  if (head === undefined) {
    throw new OciError(
      'MANIFEST_UNKNOWN',
      `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'} does not exist`,
    );
  }
  return head.digest;
}

export type SignImageOptions = {
  /** `-a key=value` annotations for the payload's `optional`. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** The signer's public key (see PushSignatureOptions.signerKey). */
  readonly signerKey?: KeyObject | undefined;
};

export type SignImageResult = PushSignatureResult & {
  readonly imageDigest: Digest;
  /** True when the reference was a tag, resolved at signing time. */
  readonly resolvedFromTag: boolean;
  readonly payload: Buffer;
  readonly signature: string;
};

/**
 * `cosign sign --key`: resolve the reference, build the simple-signing payload, sign it and
 * append the signature at the `.sig` tag.
 * @throws OciError, CosignError as resolveImageDigest, signPayload and pushSignature.
 */
export async function signImage(
  client: RegistryClient,
  ref: ImageRef,
  privateKey: KeyObject,
  opts: SignImageOptions = {},
): Promise<SignImageResult> {
  const imageDigest = await resolveImageDigest(client, ref);
  const payload = simpleSigningPayload(ref, imageDigest, opts.annotations);
  const signature = signPayload(privateKey, payload);
  const pushed = await pushSignature(client, ref, imageDigest, payload, signature, {
    signerKey: opts.signerKey,
  });
  return { ...pushed, imageDigest, resolvedFromTag: ref.digest === undefined, payload, signature };
}

export type VerifyImageOptions = {
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly ignoreReference?: boolean | undefined;
  readonly referrers?: boolean | undefined;
};

export type ImageVerification = SignatureVerification & {
  readonly imageDigest: Digest;
  readonly fetched: FetchedSignatures;
};

/**
 * `cosign verify --key` for simple signatures: resolve the reference, fetch the `.sig`
 * candidates and verify them with `key`. Failures per candidate are data; `verified` is true
 * when at least one signature holds.
 * @throws OciError for registry failures; CosignError for a malformed `.sig` manifest.
 */
export async function verifyImage(
  client: RegistryClient,
  ref: ImageRef,
  key: KeyObject,
  opts: VerifyImageOptions = {},
): Promise<ImageVerification> {
  const imageDigest = await resolveImageDigest(client, ref);
  const fetched = await fetchSignatures(client, ref, imageDigest, { referrers: opts.referrers });
  const result = verifySimpleSignatures(
    fetched.candidates,
    key,
    opts.ignoreReference === true
      ? { imageDigest, annotations: opts.annotations, ignoreReference: true }
      : { imageDigest, annotations: opts.annotations, reference: ref },
  );
  return { ...result, imageDigest, fetched };
}
