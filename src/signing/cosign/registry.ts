import type { KeyObject } from 'node:crypto';
import { digestOf, errorMessage, isPortcullisError, parseDigest, type Digest } from '../../core/index.js';
import type { ImageRef, RepositoryRef } from '../../imageref/index.js';
import {
  MediaType,
  OciError,
  type Descriptor,
  type ImageManifest,
  type RegistryClient,
} from '../../oci/index.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  parseSigstoreBundle,
  signatureBundle,
  verifyBundleWithKey,
  type InTotoStatement,
} from './bundle.js';
import { signPayload } from './crypto.js';
import { CosignError } from './errors.js';
import { fetchLayerBlobs } from './layer-blobs.js';
import {
  keyWithTransparencyLogCheck,
  verifyImageBundle,
  verifyKeylessSimpleSignatures,
  type KeylessIdentity,
  type SigstoreTrustedRoot,
} from './sigstore.js';
import { appendSignature, parseSignatureManifest, signatureLayer, signatureTag } from './manifest.js';
import { MAX_SIMPLE_SIGNING_PAYLOAD_BYTES, simpleSigningPayload } from './payload.js';
import {
  candidatesFromSignatureManifest,
  verifySimpleSignatures,
  verifySimpleSignaturesWith,
  type SignatureCandidate,
  type SignatureFailure,
  type SignatureVerification,
  type SimpleSignatureExpectations,
} from './verify.js';

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
  /** The bundle of each bundle referrer, fetched (or why it could not be). */
  readonly bundles: readonly FetchedBundle[];
  /** Things that went wrong without preventing the rest (referrers listing failed, ...). */
  readonly problems: readonly string[];
};

/** One Sigstore bundle found among the referrers. */
export type FetchedBundle = {
  /** The referrer manifest's descriptor in the referrers list. */
  readonly referrer: Descriptor;
  readonly bytes: Buffer | undefined;
  readonly error?: string | undefined;
};

export type FetchSignaturesOptions = {
  /** Look for OCI 1.1 referrers too (default true). */
  readonly referrers?: boolean | undefined;
  /**
   * Where the `.sig` tag lives when not beside the image (cosign's `COSIGN_REPOSITORY`);
   * referrers are always looked up in the image's repository.
   */
  readonly signatureRepository?: RepositoryRef | undefined;
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
  const sigRepo = opts.signatureRepository ?? repo;
  const found = await readSignatureManifest(client, sigRepo, tag);
  const fetched = await fetchLayerBlobs(
    client,
    sigRepo,
    found,
    'signature manifest',
    MAX_SIMPLE_SIGNING_PAYLOAD_BYTES,
  );
  const sig = fetched.found;
  const problems = [...fetched.problems];
  const candidates = sig
    ? candidatesFromSignatureManifest(sig.manifest, fetched.blobs, tag).map((c) => {
        const why = c.layerDigest !== undefined ? fetched.errors.get(c.layerDigest) : undefined;
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
  const bundles: FetchedBundle[] = [];
  for (const referrer of bundleReferrers) bundles.push(await fetchBundle(client, repo, referrer));
  return { imageDigest: digest, tag, signatureManifest: sig, candidates, bundleReferrers, bundles, problems };
}

const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

async function fetchBundle(
  client: RegistryClient,
  repo: RepositoryRef,
  referrer: Descriptor,
): Promise<FetchedBundle> {
  try {
    const fetched = await client.getManifest(
      { registry: repo.registry, repository: repo.repository, digest: referrer.digest },
      { accept: [MediaType.ociManifest] },
    );
    const manifest = parseSignatureManifest(fetched.bytes);
    const layer = manifest.layers.find((l) => SIGSTORE_BUNDLE_MEDIA_TYPES.includes(l.mediaType));
    if (layer === undefined) return { referrer, bytes: undefined, error: 'the referrer has no bundle layer' };
    return { referrer, bytes: await client.fetchBlob(repo, layer, MAX_BUNDLE_BYTES) };
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    return { referrer, bytes: undefined, error: errorMessage(err) };
  }
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
  /** Store the signature in another repository (cosign's `COSIGN_REPOSITORY`). */
  readonly signatureRepository?: RepositoryRef | undefined;
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
  const pushed = await pushSignature(
    client,
    opts.signatureRepository ?? ref,
    imageDigest,
    payload,
    signature,
    {
      signerKey: opts.signerKey,
    },
  );
  return { ...pushed, imageDigest, resolvedFromTag: ref.digest === undefined, payload, signature };
}

export type VerifyImageOptions = {
  /** `-a key=value` annotations every accepted signature must carry. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** Accept a `docker-reference` naming another repository (`--ignore-reference`). */
  readonly ignoreReference?: boolean | undefined;
  /** Look at OCI 1.1 referrers too (default true). */
  readonly referrers?: boolean | undefined;
  /** Where the `.sig` tag lives when not beside the image (cosign's `COSIGN_REPOSITORY`). */
  readonly signatureRepository?: RepositoryRef | undefined;
};

/** The outcome for one Sigstore bundle referrer. */
export type BundleResult =
  | { readonly ok: true; readonly source: string; readonly statement: InTotoStatement }
  | { readonly ok: false; readonly source: string; readonly failure: SignatureFailure };

export type ImageVerification = {
  /** True when at least one `.sig` signature or bundle verified. */
  readonly verified: boolean;
  /** The `.sig` candidates' results. */
  readonly results: SignatureVerification['results'];
  /** The bundle referrers' results (key-based bundles; keyless ones report bundle-unsupported). */
  readonly bundleResults: readonly BundleResult[];
  readonly imageDigest: Digest;
  readonly fetched: FetchedSignatures;
};

/** How an image's signatures are to be verified: with a public key, or keylessly. */
export type ImageVerifier =
  | {
      readonly kind: 'key';
      readonly key: KeyObject;
      /**
       * With a trusted root, a transparency-log proof is required as cosign requires it by
       * default; without one, key signatures are checked as with `--insecure-ignore-tlog`.
       */
      readonly trustedRoot?: SigstoreTrustedRoot | undefined;
    }
  | {
      readonly kind: 'keyless';
      readonly trustedRoot: SigstoreTrustedRoot;
      readonly identity: KeylessIdentity;
    };

function checkFetchedBundle(
  b: FetchedBundle,
  verifier: ImageVerifier,
  opts: VerifyImageOptions,
  imageDigest: Digest,
): BundleResult {
  const source = `referrer ${b.referrer.digest}`;
  if (b.bytes === undefined) {
    return {
      ok: false,
      source,
      failure: { code: 'payload-missing', message: `the bundle could not be read: ${b.error ?? ''}` },
    };
  }
  let bundle;
  try {
    bundle = parseSigstoreBundle(b.bytes);
  } catch (err) {
    if (!(err instanceof CosignError)) throw err;
    return { ok: false, source, failure: { code: 'bundle-invalid', message: err.message } };
  }
  const expect = { imageDigest, annotations: opts.annotations };
  const r =
    verifier.kind === 'keyless'
      ? verifyImageBundle(bundle, { trustedRoot: verifier.trustedRoot, identity: verifier.identity }, expect)
      : verifier.trustedRoot !== undefined
        ? verifyImageBundle(bundle, { trustedRoot: verifier.trustedRoot, key: verifier.key }, expect)
        : verifyBundleWithKey(bundle, verifier.key, expect);
  return r.ok ? { ok: true, source, statement: r.statement } : { ok: false, source, failure: r.failure };
}

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
  return verifyImageWith(client, ref, { kind: 'key', key }, opts);
}

/**
 * verifyImage with a key or keylessly (`--certificate-identity`, `--certificate-oidc-issuer`,
 * `--trusted-root`): legacy `.sig` layers and bundle referrers are checked the chosen way, all
 * offline once fetched.
 * @throws OciError for registry failures; CosignError for a malformed `.sig` manifest.
 */
export async function verifyImageWith(
  client: RegistryClient,
  ref: ImageRef,
  verifier: ImageVerifier,
  opts: VerifyImageOptions = {},
): Promise<ImageVerification> {
  const imageDigest = await resolveImageDigest(client, ref);
  const fetched = await fetchSignatures(client, ref, imageDigest, {
    referrers: opts.referrers,
    signatureRepository: opts.signatureRepository,
  });
  const expect: SimpleSignatureExpectations =
    opts.ignoreReference === true
      ? { imageDigest, annotations: opts.annotations, ignoreReference: true }
      : { imageDigest, annotations: opts.annotations, reference: ref };
  const result =
    verifier.kind === 'keyless'
      ? verifyKeylessSimpleSignatures(fetched.candidates, verifier, expect)
      : verifier.trustedRoot !== undefined
        ? verifySimpleSignaturesWith(
            fetched.candidates,
            keyWithTransparencyLogCheck({ trustedRoot: verifier.trustedRoot, key: verifier.key }),
            expect,
          )
        : verifySimpleSignatures(fetched.candidates, verifier.key, expect);
  const bundleResults = fetched.bundles.map((b) => checkFetchedBundle(b, verifier, opts, imageDigest));
  return {
    verified: result.verified || bundleResults.some((b) => b.ok),
    results: result.results,
    bundleResults,
    imageDigest,
    fetched,
  };
}

/**
 * Attaches a Sigstore bundle to an image as an OCI 1.1 referrer, in the manifest shape cosign
 * v3 writes (empty config, one bundle layer, `subject` = the image), pushed by digest. On
 * registries without the referrers API the client maintains the referrers tag index.
 * @throws OciError for registry failures.
 */
export async function pushSignatureBundle(
  client: RegistryClient,
  repo: RepositoryRef,
  subject: { readonly digest: Digest; readonly mediaType: string; readonly size: number },
  bundle: Buffer,
  opts: { readonly created?: Date | undefined } = {},
): Promise<Digest> {
  const empty = Buffer.from('{}');
  const emptyDigest = digestOf(empty);
  await client.pushBlob(repo, { digest: emptyDigest, size: empty.length }, () => empty);
  const bundleDigest = digestOf(bundle);
  await client.pushBlob(repo, { digest: bundleDigest, size: bundle.length }, () => bundle);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
      config: { mediaType: MediaType.ociEmpty, digest: emptyDigest, size: empty.length },
      layers: [{ mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE, digest: bundleDigest, size: bundle.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': COSIGN_SIGN_PREDICATE_TYPE,
        'org.opencontainers.image.created': (opts.created ?? new Date())
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
    }),
    'utf8',
  );
  return client.putManifest(
    { registry: repo.registry, repository: repo.repository, digest: digestOf(manifest) },
    manifest,
    MediaType.ociManifest,
  );
}

/**
 * `cosign sign --key` in cosign v3's default format (without a transparency log): a key-based
 * Sigstore bundle attached as a referrer of the resolved image.
 * @throws OciError, CosignError as resolveImageDigest, signatureBundle and pushSignatureBundle.
 */
export async function signImageWithBundle(
  client: RegistryClient,
  ref: ImageRef,
  privateKey: KeyObject,
  opts: { readonly annotations?: Readonly<Record<string, string>> | undefined } = {},
): Promise<{ readonly imageDigest: Digest; readonly referrerDigest: Digest; readonly bundle: Buffer }> {
  const head = await client.headManifest(ref);
  if (head === undefined) {
    throw new OciError(
      'MANIFEST_UNKNOWN',
      `${ref.registry}/${ref.repository} ${ref.digest ?? ref.tag ?? 'latest'} does not exist`,
    );
  }
  const bundle = signatureBundle(head.digest, privateKey, opts.annotations);
  const referrerDigest = await pushSignatureBundle(client, ref, head, bundle);
  return { imageDigest: head.digest, referrerDigest, bundle };
}
