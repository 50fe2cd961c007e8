import { createHash, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  PolicyError,
  Verifier,
  VerificationError,
  toSignedEntity,
  toTrustMaterial,
  type TrustMaterial,
  type VerificationPolicy,
} from '@sigstore/verify';
import { z } from 'zod';
import { errorMessage, truncateForMessage } from '../../core/index.js';
import { checkStatement, type BundleExpectations, type InTotoStatement } from './bundle.js';
import { CosignError } from './errors.js';
import { COSIGN_ANNOTATIONS } from './manifest.js';
import {
  verifySimpleSignaturesWith,
  type SignatureCandidate,
  type SignatureCheck,
  type SignatureFailure,
  type SignatureVerification,
  type SimpleSignatureExpectations,
} from './verify.js';

// Offline verification of Sigstore bundles against a supplied trusted root, using
// @sigstore/verify (Fulcio chain, embedded SCTs, Rekor SET / inclusion proofs, TSA timestamps).
// The trusted root always comes from a file: nothing here fetches TUF metadata.

// Every key and authority must say from when it is trusted. @sigstore/verify treats a missing
// start as "always", which would let a malformed root vouch for entries from before the key
// existed (sigstore-conformance trust-root-tlog-missing-validity-start_fail).
const validFrom = z.object({ start: z.string().min(1) });
const keyedLog = z.object({ publicKey: z.object({ validFor: validFrom }) });
const authority = z.object({ validFor: validFrom });
const trustedRootSchema = z.object({
  tlogs: z.array(keyedLog).optional(),
  ctlogs: z.array(keyedLog).optional(),
  certificateAuthorities: z.array(authority).optional(),
  timestampAuthorities: z.array(authority).optional(),
});

/** A trusted root read from `trusted_root.json`. */
export type SigstoreTrustedRoot = { readonly root: TrustedRoot };

/**
 * Reads a Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json`).
 * @throws CosignError COSIGN_TRUSTED_ROOT_INVALID.
 */
export function parseTrustedRoot(bytes: Uint8Array): SigstoreTrustedRoot {
  try {
    const json: unknown = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'),
    );
    const r = trustedRootSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(
        `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unexpected shape'} (every key needs validFor.start)`,
      );
    }
    return { root: TrustedRoot.fromJSON(json) };
  } catch (err) {
    throw new CosignError(
      'COSIGN_TRUSTED_ROOT_INVALID',
      `cannot read the trusted root: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** The keyless identity to require: the certificate's SAN and OIDC issuer, matched exactly. */
export type KeylessIdentity = {
  readonly subjectAlternativeName: string;
  readonly issuer: string;
};

export type SigstoreVerifyOptions = {
  readonly trustedRoot: SigstoreTrustedRoot;
  /** Required for certificate (keyless) bundles. */
  readonly identity?: KeylessIdentity | undefined;
  /** For public-key bundles: the key (found by any hint). */
  readonly key?: KeyObject | undefined;
  /** For message-signature bundles: the signed artifact. */
  readonly artifact?: Uint8Array | undefined;
};

export type SigstoreCheck =
  | {
      readonly ok: true;
      /** The certificate identity, for keyless bundles. */
      readonly identity: { readonly subjectAlternativeName?: string; readonly issuer?: string } | undefined;
      /** The DSSE statement bytes, when the bundle holds an envelope. */
      readonly statementBytes: Buffer | undefined;
    }
  | { readonly ok: false; readonly failure: SignatureFailure };

function trustMaterial(opts: SigstoreVerifyOptions): TrustMaterial {
  const key = opts.key;
  return key !== undefined
    ? toTrustMaterial(opts.trustedRoot.root, () => ({ publicKey: key, validFor: () => true }))
    : toTrustMaterial(opts.trustedRoot.root);
}

/**
 * Verifies a Sigstore bundle (v0.1–v0.3) offline against the trusted root: signature, signing
 * certificate chain and SCT (keyless) or the given key, transparency-log proofs and timestamps,
 * and for keyless bundles the required identity. Failures are data; the statement's claims are
 * not checked here (see verifyBundleKeyless for images).
 */
export function verifySigstoreBundle(bundleJson: unknown, opts: SigstoreVerifyOptions): SigstoreCheck {
  const fail = (code: SignatureFailure['code'], message: string): SigstoreCheck => ({
    ok: false,
    failure: { code, message },
  });
  let bundle;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (err) {
    return fail('bundle-invalid', `invalid Sigstore bundle: ${truncateForMessage(errorMessage(err), 200)}`);
  }
  const keyless = bundle.verificationMaterial.content.$case !== 'publicKey';
  if (keyless && opts.identity === undefined) {
    return fail(
      'bundle-unsupported',
      'a keyless bundle needs a certificate identity and issuer to verify against',
    );
  }
  if (!keyless && opts.key === undefined) {
    return fail('bundle-unsupported', 'the bundle is signed with a key; a public key is needed');
  }
  const policy: VerificationPolicy | undefined =
    keyless && opts.identity !== undefined
      ? {
          subjectAlternativeName: opts.identity.subjectAlternativeName,
          extensions: { issuer: opts.identity.issuer },
        }
      : undefined;
  try {
    const entity = toSignedEntity(
      bundle,
      opts.artifact !== undefined ? Buffer.from(opts.artifact) : undefined,
    );
    const signer = new Verifier(trustMaterial(opts), keyless ? {} : { ctlogThreshold: 0 }).verify(
      entity,
      policy,
    );
    const content = bundle.content;
    return {
      ok: true,
      identity: signer.identity
        ? {
            ...(signer.identity.subjectAlternativeName !== undefined
              ? { subjectAlternativeName: signer.identity.subjectAlternativeName }
              : {}),
            ...(signer.identity.extensions?.issuer !== undefined
              ? { issuer: signer.identity.extensions.issuer }
              : {}),
          }
        : undefined,
      statementBytes:
        content.$case === 'dsseEnvelope' ? Buffer.from(content.dsseEnvelope.payload) : undefined,
    };
  } catch (err) {
    if (err instanceof PolicyError) {
      return fail('identity-mismatch', `${err.code}: ${truncateForMessage(err.message, 200)}`);
    }
    if (err instanceof VerificationError) {
      return fail('trust-failed', `${err.code}: ${truncateForMessage(err.message, 200)}`);
    }
    // @sigstore/verify also throws plain errors for malformed material (bad base64, DER).
    return fail('bundle-invalid', truncateForMessage(errorMessage(err), 200));
  }
}

export type KeylessBundleCheck =
  | {
      readonly ok: true;
      readonly statement: InTotoStatement;
      readonly identity: { readonly subjectAlternativeName?: string; readonly issuer?: string } | undefined;
    }
  | { readonly ok: false; readonly failure: SignatureFailure };

/**
 * An image signature in bundle form verified with the trusted root (keyless, or a key with
 * transparency-log proof), then its statement checked against the image digest, predicate type
 * and annotations as verifyBundleWithKey does.
 */
export function verifyImageBundle(
  bundleJson: unknown,
  opts: SigstoreVerifyOptions,
  expect: BundleExpectations,
): KeylessBundleCheck {
  const r = verifySigstoreBundle(bundleJson, opts);
  if (!r.ok) return r;
  if (r.statementBytes === undefined) {
    return {
      ok: false,
      failure: { code: 'bundle-unsupported', message: 'the bundle holds no DSSE statement' },
    };
  }
  const c = checkStatement(r.statementBytes, expect);
  return c.ok ? { ok: true, statement: c.statement, identity: r.identity } : c;
}

const rekorBundleSchema = z.object({
  SignedEntryTimestamp: z.string(),
  Payload: z.object({
    body: z.string(),
    integratedTime: z.number().int(),
    logIndex: z.number().int(),
    logID: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});

const hashedRekordSchema = z.object({
  spec: z.object({
    signature: z.object({ publicKey: z.object({ content: z.string() }) }),
  }),
});

function pemToDer(pem: string, label: string): Buffer | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  return m?.[1] !== undefined ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64') : undefined;
}

type LayerSigner =
  | { readonly kind: 'certificate'; readonly leaf: Buffer; readonly identity: KeylessIdentity }
  | { readonly kind: 'key'; readonly key: KeyObject };

/**
 * A legacy `.sig` layer's Rekor bundle annotation and signature as a v0.1 Sigstore bundle,
 * verified offline against the trusted root. As cosign does (`VerifyBundle`: comparePublicKey)
 * and @sigstore/verify does not, the Rekor entry must name the signer's own certificate or key.
 */
function checkLegacyLayer(
  payload: Uint8Array,
  signatureBase64: string,
  rekorJson: string | undefined,
  signer: LayerSigner,
  trustedRoot: SigstoreTrustedRoot,
): SignatureFailure | undefined {
  const fail = (code: SignatureFailure['code'], message: string): SignatureFailure => ({ code, message });
  if (rekorJson === undefined) {
    return fail(
      'bundle-unsupported',
      'the layer has no Rekor bundle annotation; offline verification needs its signed entry timestamp',
    );
  }
  let rekor: z.infer<typeof rekorBundleSchema>;
  let bodyPem: string;
  try {
    rekor = rekorBundleSchema.parse(JSON.parse(rekorJson));
    const body = hashedRekordSchema.parse(
      JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8')),
    );
    bodyPem = Buffer.from(body.spec.signature.publicKey.content, 'base64').toString('utf8');
  } catch (err) {
    return fail(
      'bundle-invalid',
      `the Rekor bundle annotation is malformed: ${truncateForMessage(errorMessage(err), 120)}`,
    );
  }
  const mine =
    signer.kind === 'certificate' ? signer.leaf : signer.key.export({ type: 'spki', format: 'der' });
  const named = pemToDer(bodyPem, signer.kind === 'certificate' ? 'CERTIFICATE' : 'PUBLIC KEY');
  if (named === undefined || !named.equals(mine)) {
    return fail('trust-failed', `the Rekor entry names another ${signer.kind} than the signer's`);
  }
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(signer.kind === 'certificate'
        ? { x509CertificateChain: { certificates: [{ rawBytes: signer.leaf.toString('base64') }] } }
        : { publicKey: { hint: createHash('sha256').update(mine).digest('base64') } }),
      tlogEntries: [
        {
          logIndex: String(rekor.Payload.logIndex),
          logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: String(rekor.Payload.integratedTime),
          inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
          canonicalizedBody: rekor.Payload.body,
        },
      ],
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: signatureBase64,
    },
  };
  const r = verifySigstoreBundle(bundle, {
    trustedRoot,
    artifact: payload,
    ...(signer.kind === 'certificate' ? { identity: signer.identity } : { key: signer.key }),
  });
  return r.ok ? undefined : r.failure;
}

/**
 * The signature check for legacy keyless `.sig` layers (cosign ≤ v2 keyless): the certificate
 * and Rekor bundle annotations are verified offline against the trusted root (Fulcio chain,
 * SCT, SET, identity), and the Rekor entry must name the layer's certificate.
 */
export function keylessSignatureCheck(opts: {
  readonly trustedRoot: SigstoreTrustedRoot;
  readonly identity: KeylessIdentity;
}): SignatureCheck {
  return (payload, signatureBase64, candidate) => {
    const certPem = candidate.annotations?.[COSIGN_ANNOTATIONS.certificate];
    if (certPem === undefined || certPem === '') {
      return {
        code: 'bundle-unsupported',
        message: 'the layer has no certificate: it is not a keyless signature',
      };
    }
    const leaf = pemToDer(certPem, 'CERTIFICATE');
    if (leaf === undefined) {
      return { code: 'bundle-invalid', message: 'the certificate annotation is not a PEM certificate' };
    }
    return checkLegacyLayer(
      payload,
      signatureBase64,
      candidate.annotations?.[COSIGN_ANNOTATIONS.bundle],
      { kind: 'certificate', leaf, identity: opts.identity },
      opts.trustedRoot,
    );
  };
}

/**
 * The signature check cosign applies to key-signed `.sig` layers by default (without
 * `--insecure-ignore-tlog`): the signature verifies with the key, and the layer carries a Rekor
 * bundle whose signed entry timestamp verifies against the trusted root and whose entry names
 * this key and signature.
 */
export function keyWithTransparencyLogCheck(opts: {
  readonly trustedRoot: SigstoreTrustedRoot;
  readonly key: KeyObject;
}): SignatureCheck {
  return (payload, signatureBase64, candidate) =>
    checkLegacyLayer(
      payload,
      signatureBase64,
      candidate.annotations?.[COSIGN_ANNOTATIONS.bundle],
      { kind: 'key', key: opts.key },
      opts.trustedRoot,
    );
}

/**
 * Verifies legacy keyless cosign signatures (`.sig` layers with certificate and Rekor bundle
 * annotations) offline: the signature check of keylessSignatureCheck, then the same payload
 * claims as verifySimpleSignatures. Failures per candidate are data.
 */
export function verifyKeylessSimpleSignatures(
  candidates: readonly SignatureCandidate[],
  opts: { readonly trustedRoot: SigstoreTrustedRoot; readonly identity: KeylessIdentity },
  expect: SimpleSignatureExpectations,
): SignatureVerification {
  return verifySimpleSignaturesWith(candidates, keylessSignatureCheck(opts), expect);
}
