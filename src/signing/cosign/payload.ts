import { z } from 'zod';
import { errorMessage, parseDigest, truncateForMessage } from '../../core/index.js';
import { DOCKER_HUB_REGISTRY, type RepositoryRef } from '../../imageref/index.js';
import { CosignError } from './errors.js';
import { encodeGoJson, GoStruct, type GoJson } from './gojson.js';

/** `critical.type` of every cosign image signature (sigstore/sigstore pkg/signature/payload). */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/** Largest simple-signing payload we parse; real ones are a few hundred bytes. */
export const MAX_SIMPLE_SIGNING_PAYLOAD_BYTES = 1024 * 1024;

/** What a simple-signing payload says, after validation. */
export type SimpleSigningPayload = {
  /** `critical.identity.docker-reference`: the repository the signer named, without tag. */
  readonly dockerReference: string;
  /** `critical.image.docker-manifest-digest`: the manifest digest that was signed, as written. */
  readonly dockerManifestDigest: string;
  /** `critical.type`; cosign writes COSIGN_SIGNATURE_TYPE and does not check it. */
  readonly type: string;
  /** `optional`: the `-a key=value` annotations (values may be any JSON), undefined for null. */
  readonly optional: Readonly<Record<string, unknown>> | undefined;
};

/**
 * The repository as go-containerregistry's `Repository.Name()` spells it, which is what cosign
 * writes into `docker-reference`: Docker Hub is `index.docker.io`, `library/` is kept.
 */
export function cosignDockerReference(reference: RepositoryRef): string {
  const registry = reference.registry === DOCKER_HUB_REGISTRY ? 'index.docker.io' : reference.registry;
  return `${registry}/${reference.repository}`;
}

/**
 * The simple-signing payload bytes `cosign sign` produces for an image: Go's JSON encoding of
 * sigstore's SimpleContainerImage (no whitespace, no trailing newline, `"optional":null` without
 * annotations, annotation keys sorted).
 * @throws CoreError DIGEST_INVALID for a digest that is not `sha256:<64 hex>` or `sha512:<128 hex>`.
 */
export function simpleSigningPayload(
  reference: RepositoryRef,
  digest: string,
  annotations?: Readonly<Record<string, string>>,
): Buffer {
  const validDigest = parseDigest(digest);
  // cosign leaves the map nil (so `null`) when no -a flag was given.
  const optional: GoJson =
    annotations === undefined || Object.keys(annotations).length === 0 ? undefined : { ...annotations };
  const value = new GoStruct([
    [
      'critical',
      new GoStruct([
        ['identity', new GoStruct([['docker-reference', cosignDockerReference(reference)]])],
        ['image', new GoStruct([['docker-manifest-digest', validDigest]])],
        ['type', COSIGN_SIGNATURE_TYPE],
      ]),
    ],
    ['optional', optional],
  ]);
  return Buffer.from(encodeGoJson(value), 'utf8');
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && Boolean(v) && !Array.isArray(v);

/**
 * Go's encoding/json matches JSON keys to struct fields exactly or, failing that, ignoring
 * case, and the last matching key wins. Old cosign releases wrote `Critical`/`Image`, so a
 * payload parser that is case-sensitive would reject signatures cosign accepts.
 */
function foldFields(
  value: unknown,
  fields: Readonly<Record<string, ((v: unknown) => unknown) | undefined>>,
): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const names = Object.keys(fields);
  for (const [key, v] of Object.entries(value)) {
    const name = names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined) continue;
    const inner = fields[name];
    out[name] = inner !== undefined ? inner(v) : v;
  }
  return out;
}

const foldPayload = (v: unknown): unknown =>
  foldFields(v, {
    critical: (c) =>
      foldFields(c, {
        identity: (i) => foldFields(i, { 'docker-reference': undefined }),
        image: (i) => foldFields(i, { 'docker-manifest-digest': undefined }),
        type: undefined,
      }),
    optional: undefined,
  });

const payloadSchema = z.object({
  critical: z.object({
    identity: z.object({ 'docker-reference': z.string() }),
    image: z.object({ 'docker-manifest-digest': z.string() }),
    type: z.string(),
  }),
  optional: z.record(z.string(), z.unknown()).nullish(),
});

function invalid(why: string): CosignError {
  return new CosignError('COSIGN_PAYLOAD_INVALID', `invalid simple-signing payload: ${why}`);
}

/**
 * Reads a simple-signing payload (the bytes a signature covers). Field names match as Go's
 * decoder matches them (case-insensitively); unknown fields are ignored.
 * @throws CosignError COSIGN_PAYLOAD_INVALID for non-JSON, oversized or wrongly shaped input.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  if (bytes.length > MAX_SIMPLE_SIGNING_PAYLOAD_BYTES) {
    throw invalid(`${bytes.length} bytes, at most ${MAX_SIMPLE_SIGNING_PAYLOAD_BYTES} are accepted`);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(`not JSON (${errorMessage(err)}): "${truncateForMessage(text, 60)}"`);
  }
  const r = payloadSchema.safeParse(foldPayload(json));
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw invalid(
      `${where !== '' ? `${where}: ` : ''}${issue?.message ?? 'unexpected shape'}; expected {"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":…},"optional":…}`,
    );
  }
  const p = r.data;
  return {
    dockerReference: p.critical.identity['docker-reference'],
    dockerManifestDigest: p.critical.image['docker-manifest-digest'],
    type: p.critical.type,
    optional: p.optional ?? undefined,
  };
}

/** Like parseSimpleSigningPayload, but undefined instead of an error. */
export function tryParseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload | undefined {
  try {
    return parseSimpleSigningPayload(bytes);
  } catch (err) {
    if (err instanceof CosignError) return undefined;
    throw err;
  }
}

/**
 * Reads `-a key=value` flags into annotations the way cosign does: exactly one `=`, so values
 * cannot contain one; a repeated key keeps the last value.
 * @throws CosignError COSIGN_ANNOTATION_INVALID naming the flag.
 */
export function parseAnnotationFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const parts = flag.split('=');
    if (parts.length !== 2 || parts[0] === '') {
      throw new CosignError(
        'COSIGN_ANNOTATION_INVALID',
        `invalid annotation "${truncateForMessage(flag, 80)}": expected key=value (one "=")`,
      );
    }
    out[parts[0] ?? ''] = parts[1] ?? '';
  }
  return out;
}
