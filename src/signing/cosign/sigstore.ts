import type { KeyObject } from 'node:crypto';
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
import type { SignatureFailure } from './verify.js';

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
