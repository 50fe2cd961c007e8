import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  digestAlgorithm,
  digestHex,
  errorMessage,
  parseDigest,
  truncateForMessage,
} from '../../core/index.js';
import { signPayload, verifySignatureBytes } from './crypto.js';
import { CosignError } from './errors.js';
import type { SignatureFailure } from './verify.js';

// Sigstore bundles (protobuf-specs `sigstore_bundle.proto`, JSON form) as cosign v3 attaches
// them to images by default: a DSSE envelope around an in-toto statement about the image.

/** The bundle media type cosign v3 writes (and the referrer's artifactType). */
export const SIGSTORE_BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** Bundle media types we read: v0.3 in both spellings, and the older v0.1 and v0.2. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES: readonly string[] = [
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
];

/** `predicateType` of the statement `cosign sign` makes in v3 (`pkg/types`: CosignSignPredicateType). */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** DSSE payload type of in-toto statements. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const b64 = z.string().refine((s) => s.length % 4 === 0 && BASE64_RE.test(s), 'expected standard base64');

const bundleSchema = z.object({
  mediaType: z.string(),
  verificationMaterial: z.object({
    publicKey: z.object({ hint: z.string().optional() }).optional(),
    certificate: z.object({ rawBytes: b64 }).optional(),
    x509CertificateChain: z.object({ certificates: z.array(z.object({ rawBytes: b64 })) }).optional(),
    tlogEntries: z.array(z.unknown()).optional(),
    timestampVerificationData: z.unknown().optional(),
  }),
  dsseEnvelope: z
    .object({
      payload: b64,
      payloadType: z.string(),
      signatures: z.array(z.object({ sig: b64, keyid: z.string().optional() })),
    })
    .optional(),
  messageSignature: z.unknown().optional(),
});

/** A Sigstore bundle after validation of the parts we read. */
export type SigstoreBundle = z.infer<typeof bundleSchema>;

/**
 * Reads a Sigstore bundle (JSON form).
 * @throws CosignError COSIGN_BUNDLE_INVALID for non-JSON, an unknown media type or a wrong shape.
 */
export function parseSigstoreBundle(bytes: Uint8Array): SigstoreBundle {
  const fail = (why: string): CosignError =>
    new CosignError('COSIGN_BUNDLE_INVALID', `invalid Sigstore bundle: ${why}`);
  if (bytes.length > MAX_BUNDLE_BYTES)
    throw fail(`${bytes.length} bytes, at most ${MAX_BUNDLE_BYTES} accepted`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (err) {
    throw fail(`not JSON (${errorMessage(err)})`);
  }
  const r = bundleSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw fail(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unexpected shape'}`);
  }
  if (!SIGSTORE_BUNDLE_MEDIA_TYPES.includes(r.data.mediaType)) {
    throw fail(`unknown media type "${truncateForMessage(r.data.mediaType, 80)}"`);
  }
  return r.data;
}

/**
 * DSSE pre-authentication encoding, what a DSSE signature covers:
 * `"DSSEv1" SP len(type) SP type SP len(body) SP body` (lengths in bytes, decimal).
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

const statementSchema = z.object({
  _type: z.string(),
  subject: z.array(
    z.object({
      name: z.string().optional(),
      digest: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  predicateType: z.string(),
  predicate: z.unknown().optional(),
});

/** An in-toto statement (v0.1 or v1) as far as verification reads it. */
export type InTotoStatement = z.infer<typeof statementSchema>;

/** The public key hint cosign v3 puts into key-based bundles: base64(sha256(SPKI DER)). */
export function publicKeyHintOf(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

/**
 * A key-based Sigstore bundle v0.3 as `cosign sign --key` (v3) makes it without a transparency
 * log upload: an in-toto v1 statement whose subject is the image digest (with the annotations)
 * and whose predicate type is COSIGN_SIGN_PREDICATE_TYPE, DSSE-signed.
 * @throws CoreError DIGEST_INVALID; CosignError COSIGN_PRIVATE_KEY_INVALID.
 */
export function signatureBundle(
  imageDigest: string,
  privateKey: KeyObject,
  annotations?: Readonly<Record<string, string>>,
): Buffer {
  const d = parseDigest(imageDigest);
  const subject: Record<string, unknown> = { digest: { [digestAlgorithm(d)]: digestHex(d) } };
  if (annotations !== undefined && Object.keys(annotations).length > 0)
    subject['annotations'] = { ...annotations };
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [subject],
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
    }),
    'utf8',
  );
  const sig = signPayload(privateKey, preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, statement));
  const hint = publicKeyHintOf(createPublicKey(privateKey));
  return Buffer.from(
    JSON.stringify({
      mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
      dsseEnvelope: {
        payload: statement.toString('base64'),
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: [{ sig, keyid: '' }],
      },
    }),
    'utf8',
  );
}

export type BundleCheck =
  | { readonly ok: true; readonly statement: InTotoStatement; readonly statementBytes: Buffer }
  | { readonly ok: false; readonly failure: SignatureFailure };

export type BundleExpectations = {
  readonly imageDigest: string;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** Accept statements of any predicate type (cosign verify does); default: only cosign's sign type. */
  readonly anyPredicateType?: boolean | undefined;
};

/**
 * Verifies a DSSE Sigstore bundle with a public key, offline: a DSSE signature over the PAE of
 * the statement verifies with `key`, the statement names the image digest among its subjects,
 * and that subject carries every required annotation. Transparency-log entries and timestamps
 * are not checked (cosign's `--insecure-ignore-tlog`); certificate bundles (keyless) are
 * refused here: they need a trusted root. Failures are data.
 */
export function verifyBundleWithKey(
  bundle: SigstoreBundle,
  key: KeyObject,
  expect: BundleExpectations,
): BundleCheck {
  const fail = (code: SignatureFailure['code'], message: string): BundleCheck => ({
    ok: false,
    failure: { code, message },
  });
  const vm = bundle.verificationMaterial;
  if (vm.certificate !== undefined || vm.x509CertificateChain !== undefined) {
    return fail(
      'bundle-unsupported',
      'the bundle is keyless (certificate); verifying it needs a trusted root',
    );
  }
  const env = bundle.dsseEnvelope;
  if (env === undefined) {
    return fail('bundle-unsupported', 'the bundle holds a message signature, not a DSSE envelope');
  }
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return fail(
      'payload-invalid',
      `DSSE payload type is ${truncateForMessage(env.payloadType, 60)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  const body = Buffer.from(env.payload, 'base64');
  const pae = preAuthEncoding(env.payloadType, body);
  if (env.signatures.length === 0) return fail('signature-missing', 'the DSSE envelope has no signature');
  if (!env.signatures.some((s) => verifySignatureBytes(key, pae, Buffer.from(s.sig, 'base64')))) {
    return fail('signature-invalid', 'no DSSE signature verifies with the given public key');
  }
  return checkStatement(body, expect);
}

/**
 * The claim checks on a verified in-toto statement: predicate type (cosign's sign type unless
 * `anyPredicateType`), a subject with the image digest, and the required annotations on it.
 */
export function checkStatement(body: Buffer, expect: BundleExpectations): BundleCheck {
  const fail = (code: SignatureFailure['code'], message: string): BundleCheck => ({
    ok: false,
    failure: { code, message },
  });
  let statement: InTotoStatement;
  try {
    const r = statementSchema.safeParse(JSON.parse(body.toString('utf8')));
    if (!r.success) return fail('payload-invalid', `the signed statement is not an in-toto statement`);
    statement = r.data;
  } catch {
    return fail('payload-invalid', 'the signed statement is not JSON');
  }
  if (expect.anyPredicateType !== true && statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
    return fail(
      'predicate-mismatch',
      `the statement's predicate type is ${truncateForMessage(statement.predicateType, 100)}, not ${COSIGN_SIGN_PREDICATE_TYPE}`,
    );
  }
  const d = parseDigest(expect.imageDigest);
  const subject = statement.subject.find((s) => s.digest[digestAlgorithm(d)] === digestHex(d));
  if (subject === undefined) {
    const named = statement.subject
      .map((s) =>
        Object.entries(s.digest)
          .map(([a, h]) => `${a}:${h}`)
          .join(','),
      )
      .join(' ');
    return fail(
      'digest-mismatch',
      `the signature is for digest ${truncateForMessage(named, 160)}, but the image resolved to ${expect.imageDigest}`,
    );
  }
  for (const [k, v] of Object.entries(expect.annotations ?? {})) {
    const have = subject.annotations?.[k];
    if (have !== v) {
      return fail(
        'annotation-mismatch',
        have === undefined
          ? `the statement subject has no annotation ${truncateForMessage(k, 60)}`
          : `annotation ${truncateForMessage(k, 60)} is ${truncateForMessage(JSON.stringify(have), 60)}, expected ${truncateForMessage(JSON.stringify(v), 60)}`,
      );
    }
  }
  return { ok: true, statement, statementBytes: body };
}
