import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { errorMessage, truncateForMessage } from '../../core/index.js';
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding } from '../cosign/bundle.js';
import { signPayload, verifySignatureBytes } from '../cosign/crypto.js';
import { encodeGoJson, GoStruct } from '../cosign/gojson.js';
import type { SignatureFailure } from '../cosign/verify.js';
import { AttestationError } from './errors.js';

// DSSE envelopes (secure-systems-lab/dsse `envelope.md`) as cosign writes them into `.att`
// layers: Go's encoding of go-securesystemslib's dsse.Envelope, one signature, empty keyid.

/** Layer media type of a DSSE envelope in a `.att` manifest (cosign `pkg/types`: DssePayloadType). */
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** The largest envelope read: attestations carry whole SBOMs and scan reports. */
export const MAX_DSSE_ENVELOPE_BYTES = 32 * 1024 * 1024;

// go-securesystemslib decodes with StdEncoding, then URLEncoding; both padded.
const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_B64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const b64 = z.string().refine((s) => STD_B64.test(s) || URL_B64.test(s), 'expected base64');

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: b64,
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: b64 })),
});

/** A DSSE envelope: base64 payload and signatures over its PAE. */
export type DsseEnvelope = z.infer<typeof envelopeSchema>;

function decodeBase64(s: string): Buffer {
  return Buffer.from(STD_B64.test(s) ? s : s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * Signs `payload` as a DSSE envelope (the signature covers the PAE of payload type and
 * payload) and returns the envelope bytes as cosign writes them.
 * @throws CosignError COSIGN_PRIVATE_KEY_INVALID for keys that cannot sign.
 */
export function signDsseEnvelope(
  payload: Uint8Array,
  privateKey: KeyObject,
  payloadType: string = IN_TOTO_PAYLOAD_TYPE,
): Buffer {
  const sig = signPayload(privateKey, preAuthEncoding(payloadType, payload));
  const envelope = new GoStruct([
    ['payloadType', payloadType],
    ['payload', Buffer.from(payload).toString('base64')],
    [
      'signatures',
      [
        new GoStruct([
          ['keyid', ''],
          ['sig', sig],
        ]),
      ],
    ],
  ]);
  return Buffer.from(encodeGoJson(envelope), 'utf8');
}

/**
 * Reads a DSSE envelope.
 * @throws AttestationError ATTESTATION_ENVELOPE_INVALID for oversized input, non-JSON or another shape.
 */
export function parseDsseEnvelope(bytes: Uint8Array): DsseEnvelope {
  const fail = (why: string): AttestationError =>
    new AttestationError('ATTESTATION_ENVELOPE_INVALID', `invalid DSSE envelope: ${why}`);
  if (bytes.length > MAX_DSSE_ENVELOPE_BYTES)
    throw fail(`${bytes.length} bytes, at most ${MAX_DSSE_ENVELOPE_BYTES} accepted`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (err) {
    throw fail(`not JSON (${errorMessage(err)})`);
  }
  const r = envelopeSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw fail(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unexpected shape'}`);
  }
  return r.data;
}

export type DsseCheck =
  | { readonly ok: true; readonly payload: Buffer; readonly payloadType: string }
  | { readonly ok: false; readonly failure: SignatureFailure };

/**
 * Verifies a DSSE envelope with a public key: the payload type is the expected one (in-toto
 * statements by default, as cosign's verifyOCIAttestation requires) and at least one signature
 * verifies over the PAE of the decoded payload. Failures are data.
 */
export function verifyDsseEnvelope(
  envelope: DsseEnvelope,
  key: KeyObject,
  payloadType: string = IN_TOTO_PAYLOAD_TYPE,
): DsseCheck {
  if (envelope.payloadType !== payloadType) {
    return {
      ok: false,
      failure: {
        code: 'payload-invalid',
        message: `DSSE payload type is ${truncateForMessage(envelope.payloadType, 60)}, not ${payloadType}`,
      },
    };
  }
  if (envelope.signatures.length === 0) {
    return {
      ok: false,
      failure: { code: 'signature-missing', message: 'the DSSE envelope has no signature' },
    };
  }
  const payload = decodeBase64(envelope.payload);
  const pae = preAuthEncoding(envelope.payloadType, payload);
  if (!envelope.signatures.some((s) => verifySignatureBytes(key, pae, decodeBase64(s.sig)))) {
    return {
      ok: false,
      failure: { code: 'signature-invalid', message: 'no DSSE signature verifies with the given public key' },
    };
  }
  return { ok: true, payload, payloadType: envelope.payloadType };
}
