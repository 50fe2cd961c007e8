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
import { SIGSTORE_BUNDLE_MEDIA_TYPES, parseSigstoreBundle, verifyBundleWithKey } from '../cosign/bundle.js';
import { CosignError } from '../cosign/errors.js';
import { fetchLayerBlobs } from '../cosign/layer-blobs.js';
import { MAX_SIGNATURE_LAYERS, parseSignatureManifest } from '../cosign/manifest.js';
import { cosignDockerReference } from '../cosign/payload.js';
import { resolveImageDigest } from '../cosign/registry.js';
import { MAX_DSSE_ENVELOPE_BYTES, signDsseEnvelope } from './dsse.js';
import { appendAttestation, attestationLayer, attestationTag } from './manifest.js';
import { predicateTypeFor } from './predicate-type.js';
import { cosignPredicate, inTotoStatement } from './statement.js';
import {
  candidatesFromAttestationManifest,
  verifyAttestations,
  type AttestationCandidate,
  type AttestationResult,
} from './verify.js';

async function readAttestationManifest(
  client: RegistryClient,
  repo: RepositoryRef,
  tag: string,
): Promise<{ digest: Digest; manifest: ImageManifest } | undefined> {
  try {
    const fetched = await client.getManifest(
      { registry: repo.registry, repository: repo.repository, tag },
      { accept: [MediaType.ociManifest, MediaType.dockerManifest] },
    );
    return { digest: fetched.digest, manifest: parseSignatureManifest(fetched.bytes) };
  } catch (err) {
    if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN') return undefined;
    throw err;
  }
}

/** An image's attestations as found in its repository, fetched but not yet verified. */
export type FetchedAttestations = {
  readonly imageDigest: Digest;
  /** The `.att` tag, and the manifest found there (undefined when the tag does not exist). */
  readonly tag: string;
  readonly manifest: { readonly digest: Digest; readonly manifest: ImageManifest } | undefined;
  /** One candidate per layer, each envelope fetched and checked against its digest by the client. */
  readonly candidates: readonly AttestationCandidate[];
  /** Things that went wrong without preventing the rest. */
  readonly problems: readonly string[];
};

/**
 * Fetches the attestations of `imageDigest` from the `sha256-<hex>.att` tag in `repo`: the
 * manifest and each envelope blob (at most cosign's 1000 layers are read). An envelope that
 * cannot be fetched becomes a candidate without envelope, reported with the others.
 * @throws OciError for registry failures reading the tag (not for its absence); CosignError
 *   COSIGN_SIGNATURE_MANIFEST_INVALID when the tag holds something else.
 */
export async function fetchAttestations(
  client: RegistryClient,
  repo: RepositoryRef,
  imageDigest: string,
): Promise<FetchedAttestations> {
  const digest = parseDigest(imageDigest);
  const tag = attestationTag(digest);
  const { found, blobs, errors, problems } = await fetchLayerBlobs(
    client,
    repo,
    await readAttestationManifest(client, repo, tag),
    'attestation manifest',
    MAX_DSSE_ENVELOPE_BYTES,
  );
  const candidates = found
    ? candidatesFromAttestationManifest(found.manifest, blobs, tag).map((c) => {
        const why = c.layerDigest !== undefined ? errors.get(c.layerDigest) : undefined;
        return why !== undefined ? { ...c, fetchError: why } : c;
      })
    : [];
  return { imageDigest: digest, tag, manifest: found, candidates, problems };
}

export type PushAttestationOptions = {
  /** Replace existing attestations of the same predicate type (`cosign attest --replace`). */
  readonly replace?: boolean | undefined;
};

export type PushAttestationResult = {
  readonly tag: string;
  /** False when the identical envelope was already there; nothing was pushed then. */
  readonly added: boolean;
  readonly replaced: number;
  readonly manifestDigest: Digest;
  /** How many attestations the manifest at the tag now holds. */
  readonly attestations: number;
};

/**
 * Appends a DSSE envelope to the image's `sha256-<hex>.att` manifest as `cosign attest` does:
 * read the manifest (if any), add the layer, push the envelope and config blobs, then the
 * manifest by tag. Like cosign's, this read-modify-write races with concurrent writers.
 * @throws OciError for registry failures; CosignError COSIGN_TOO_MANY_SIGNATURES,
 *   COSIGN_SIGNATURE_MANIFEST_INVALID.
 */
export async function pushAttestation(
  client: RegistryClient,
  repo: RepositoryRef,
  imageDigest: string,
  envelope: Uint8Array,
  predicateType: string,
  opts: PushAttestationOptions = {},
): Promise<PushAttestationResult> {
  const tag = attestationTag(imageDigest);
  const existing = await readAttestationManifest(client, repo, tag);
  const layer = attestationLayer(envelope, predicateType);
  const result = appendAttestation(existing?.manifest, layer, { replace: opts.replace });
  if (!result.added && result.replaced === 0 && existing !== undefined) {
    return {
      tag,
      added: false,
      replaced: 0,
      manifestDigest: existing.digest,
      attestations: result.manifest.layers.length,
    };
  }
  const body = Buffer.from(envelope);
  await client.pushBlob(repo, layer, () => body);
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
  return {
    tag,
    added: result.added,
    replaced: result.replaced,
    manifestDigest,
    attestations: result.manifest.layers.length,
  };
}

export type AttestImageOptions = PushAttestationOptions & {
  /** The custom predicate's timestamp (default now). */
  readonly now?: Date | undefined;
  /**
   * The image digest to attest instead of resolving the reference now: what a scan or SBOM
   * actually read, so that a tag moved meanwhile does not get someone else's attestation.
   */
  readonly imageDigest?: string | undefined;
  /** Store the attestation in another repository (cosign's `COSIGN_REPOSITORY`). */
  readonly attestationRepository?: RepositoryRef | undefined;
};

export type AttestImageResult = PushAttestationResult & {
  readonly imageDigest: Digest;
  /** True when the reference was a tag, resolved at attestation time. */
  readonly resolvedFromTag: boolean;
  readonly predicateType: string;
  /** The signed statement and the envelope pushed. */
  readonly statement: Buffer;
  readonly envelope: Buffer;
};

/**
 * `cosign attest --key --type TYPE --predicate FILE`: resolve the reference, wrap the predicate
 * (the file's bytes, handled per type as cosign does) in an in-toto v0.1 statement about the
 * image digest, sign it as a DSSE envelope and append it at the `.att` tag.
 * @throws AttestationError ATTESTATION_TYPE_INVALID, ATTESTATION_PREDICATE_INVALID; OciError and
 *   CosignError as resolveImageDigest, signDsseEnvelope and pushAttestation.
 */
export async function attestImage(
  client: RegistryClient,
  ref: ImageRef,
  privateKey: KeyObject,
  type: string,
  predicate: Uint8Array,
  opts: AttestImageOptions = {},
): Promise<AttestImageResult> {
  const { predicateType, predicate: value } = cosignPredicate(type, predicate, { now: opts.now });
  const imageDigest =
    opts.imageDigest !== undefined ? parseDigest(opts.imageDigest) : await resolveImageDigest(client, ref);
  const statement = inTotoStatement(predicateType, value, {
    name: cosignDockerReference(ref),
    digest: imageDigest,
  });
  const envelope = signDsseEnvelope(statement, privateKey);
  const pushed = await pushAttestation(
    client,
    opts.attestationRepository ?? ref,
    imageDigest,
    envelope,
    predicateType,
    { replace: opts.replace },
  );
  return {
    ...pushed,
    imageDigest,
    resolvedFromTag: opts.imageDigest === undefined && ref.digest === undefined,
    predicateType,
    statement,
    envelope,
  };
}

export type VerifyImageAttestationsOptions = {
  /** `--type`: a cosign name or a URI (default `custom`, as cosign's verify-attestation). */
  readonly type?: string | undefined;
  /**
   * Also check Sigstore bundles among the image's OCI 1.1 referrers (default true): cosign v3
   * attests in that format by default.
   */
  readonly referrers?: boolean | undefined;
  /** Where the `.att` tag lives when not beside the image (cosign's `COSIGN_REPOSITORY`). */
  readonly attestationRepository?: RepositoryRef | undefined;
};

export type ImageAttestationVerification = {
  /** True when at least one attestation verified. */
  readonly verified: boolean;
  readonly imageDigest: Digest;
  /** The predicate type URI required. */
  readonly predicateType: string;
  readonly tag: string;
  readonly results: readonly AttestationResult[];
  readonly problems: readonly string[];
};

/**
 * `cosign verify-attestation --key --type T` (offline, as with `--insecure-ignore-tlog`):
 * resolve the reference, fetch the `.att` attestations and verify each with `key`; only
 * statements about this digest with the requested predicate type count. Failures per candidate
 * are data.
 * @throws AttestationError ATTESTATION_TYPE_INVALID; OciError for registry failures;
 *   CosignError for a malformed `.att` manifest.
 */
export async function verifyImageAttestations(
  client: RegistryClient,
  ref: ImageRef,
  key: KeyObject,
  opts: VerifyImageAttestationsOptions = {},
): Promise<ImageAttestationVerification> {
  const predicateType = predicateTypeFor(opts.type ?? 'custom');
  const imageDigest = await resolveImageDigest(client, ref);
  const fetched = await fetchAttestations(client, opts.attestationRepository ?? ref, imageDigest);
  const r = verifyAttestations(fetched.candidates, key, { imageDigest, predicateType });
  const problems = [...fetched.problems];
  const results = [...r.results];
  if (opts.referrers !== false) {
    results.push(
      ...(await verifyAttestationBundles(
        client,
        ref,
        imageDigest,
        key,
        predicateType,
        problems,
        results.length,
      )),
    );
  }
  return {
    verified: results.some((x) => x.ok),
    imageDigest,
    predicateType,
    tag: fetched.tag,
    results,
    problems,
  };
}

/** The referrer annotation cosign v3 sets to the bundle statement's predicate type. */
const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

async function fetchReferrerBundle(
  client: RegistryClient,
  repo: RepositoryRef,
  referrer: Descriptor,
): Promise<Buffer> {
  const fetched = await client.getManifest(
    { registry: repo.registry, repository: repo.repository, digest: referrer.digest },
    { accept: [MediaType.ociManifest] },
  );
  const layer = parseSignatureManifest(fetched.bytes).layers.find((l) =>
    SIGSTORE_BUNDLE_MEDIA_TYPES.includes(l.mediaType),
  );
  if (layer === undefined) throw new CosignError('COSIGN_BUNDLE_INVALID', 'the referrer has no bundle layer');
  return client.fetchBlob(repo, layer, MAX_BUNDLE_BYTES);
}

/**
 * Key-based Sigstore bundle referrers whose statement is an attestation of `predicateType`
 * (cosign v3's `attest`). Referrers annotated with another predicate type (signatures, other
 * attestations) are not candidates; listing failures become problems.
 */
async function verifyAttestationBundles(
  client: RegistryClient,
  repo: RepositoryRef,
  imageDigest: Digest,
  key: KeyObject,
  predicateType: string,
  problems: string[],
  firstIndex: number,
): Promise<AttestationResult[]> {
  let referrers: Descriptor[];
  try {
    const index = await client.getReferrers(repo, imageDigest);
    referrers = index.manifests.filter(
      (d) =>
        d.artifactType !== undefined &&
        SIGSTORE_BUNDLE_MEDIA_TYPES.includes(d.artifactType) &&
        (d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] ?? predicateType) === predicateType,
    );
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    problems.push(`listing referrers failed: ${errorMessage(err)}`);
    return [];
  }
  const out: AttestationResult[] = [];
  for (const referrer of referrers.slice(0, MAX_SIGNATURE_LAYERS)) {
    const index = firstIndex + out.length;
    const source = `referrer ${referrer.digest}`;
    let bytes: Buffer;
    try {
      bytes = await fetchReferrerBundle(client, repo, referrer);
    } catch (err) {
      if (!isPortcullisError(err)) throw err;
      out.push({
        ok: false,
        index,
        source,
        failure: { code: 'payload-missing', message: `the bundle could not be read: ${errorMessage(err)}` },
      });
      continue;
    }
    let checked;
    try {
      checked = verifyBundleWithKey(parseSigstoreBundle(bytes), key, { imageDigest, anyPredicateType: true });
    } catch (err) {
      if (!(err instanceof CosignError)) throw err;
      out.push({ ok: false, index, source, failure: { code: 'bundle-invalid', message: err.message } });
      continue;
    }
    if (!checked.ok) {
      out.push({ ok: false, index, source, failure: checked.failure });
    } else if (checked.statement.predicateType !== predicateType) {
      out.push({
        ok: false,
        index,
        source,
        failure: {
          code: 'predicate-mismatch',
          message: `the predicate type is ${checked.statement.predicateType.slice(0, 100)}, not ${predicateType}`,
        },
      });
    } else {
      out.push({
        ok: true,
        index,
        source,
        statement: checked.statement,
        statementBytes: checked.statementBytes,
      });
    }
  }
  return out;
}
