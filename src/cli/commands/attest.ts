import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { errorMessage, type Logger } from '../../core/index.js';
import { formatImageRef, type ImageRef } from '../../imageref/index.js';
import { readPasswordFromStdin } from '../../oci/index.js';
import {
  AttestationError,
  attestImage,
  predicateTypeFor,
  readPrivateKeyFile,
  type AttestImageResult,
  type SigningKeyPair,
} from '../../signing/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { readKeyPassword } from '../key-password.js';
import {
  openRegistryClient,
  parseRegistryImage,
  type RegistryFlags,
  registryHelp,
  registryOptions,
  signatureRepositoryFrom,
  singleImageArgument,
} from '../registry-client.js';

export const attestHelp = `Usage: portcullis attest --key KEY --predicate FILE [--type TYPE] [--replace] [options] IMAGE

Signs a statement about an image (an SBOM, a vulnerability scan, provenance, anything JSON) and
stores it in the registry in cosign's attestation format: an in-toto statement whose subject is
the image digest, signed as a DSSE envelope and appended as a layer to the manifest at tag
sha256-<hex>.att, so that cosign verify-attestation, admission controllers and portcullis
verify-attestation can check it. A tag is resolved to the digest it points to now. Nothing is
uploaded to a transparency log: verify with cosign using --insecure-ignore-tlog.

TYPE is one of cosign's names or a predicate type URI (default custom):
  custom          the file's text, wrapped as {"Data", "Timestamp"} (https://cosign.sigstore.dev/attestation/v1)
  cyclonedx       a CycloneDX JSON document (https://cyclonedx.org/bom)
  spdxjson, spdx  an SPDX JSON document, or SPDX text (https://spdx.dev/Document)
  vuln            a cosign vulnerability-scan predicate (https://cosign.sigstore.dev/attestation/vuln/v1)
  slsaprovenance  SLSA provenance v0.2 (slsaprovenance1: v1), link, openvex
  URI             any other predicate type; the file must hold a JSON object

The key password comes from PORTCULLIS_PASSWORD, else COSIGN_PASSWORD, else a prompt on the
terminal; never from arguments. Prints the attested image as REPOSITORY@DIGEST.

Options:
  --key FILE                      private key (cosign.key, or an unencrypted PKCS#8 PEM)
  --predicate FILE                the predicate (at most 32 MiB)
  --type TYPE                     predicate type (default custom)
  --replace                       replace this image's attestations of the same type
  --attestation-repository REPO   store the .att manifest in REPO (default: $COSIGN_REPOSITORY,
                                  else beside the image)

${registryHelp}`;

/** The largest predicate file read: SBOMs of large images run to tens of MiB. */
const MAX_PREDICATE_BYTES = 32 * 1024 * 1024;

/**
 * Refuses KMS and Kubernetes key references (cosign's `awskms://`, `k8s://`, ...).
 * @throws UsageError.
 */
export function checkKeyFileFlag(keyFile: string | undefined, command: string): string {
  if (keyFile === undefined || keyFile === '') throw new UsageError(`${command} needs --key FILE`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(keyFile)) {
    throw new UsageError(
      `--key "${keyFile.slice(0, 80)}" is a KMS or Kubernetes reference; only key files are supported`,
    );
  }
  return keyFile;
}

/** Reads a private key file, asking for its password (environment or terminal) only if encrypted. */
export function readSigningKey(keyFile: string, io: CliIO): Promise<SigningKeyPair> {
  return readPrivateKeyFile(path.resolve(io.cwd, keyFile), () => readKeyPassword(io, { confirm: false }));
}

/**
 * When `--password-stdin` is given, reads the registry password once and returns an io whose
 * stdin replays it, so that both the image source and the registry client for the attestation
 * can take it (stdin can be read only once).
 */
export async function replayablePasswordIo(flags: RegistryFlags, io: CliIO): Promise<() => CliIO> {
  if (flags['password-stdin'] !== true || flags.username === undefined) return () => io;
  const password = await readPasswordFromStdin(io.stdin);
  return () => ({ ...io, stdin: Readable.from([Buffer.from(password, 'utf8')]) });
}

/** What attesting one image needs, past flag parsing. */
export type AttestRequest = {
  readonly ref: ImageRef;
  readonly key: SigningKeyPair;
  readonly type: string;
  readonly predicate: Uint8Array;
  /** The digest that was read (scan, sbom); undefined resolves the reference now. */
  readonly imageDigest?: string | undefined;
  readonly replace?: boolean | undefined;
  readonly attestationRepository?: string | undefined;
};

/**
 * Attests an image in a registry and reports where the attestation went on stderr.
 * @throws as attestImage and openRegistryClient.
 */
export async function attestToRegistry(
  req: AttestRequest,
  flags: RegistryFlags,
  io: CliIO,
  logger: Logger,
): Promise<AttestImageResult> {
  const attestationRepository = signatureRepositoryFrom(req.attestationRepository, io);
  const client = await openRegistryClient(req.ref, flags, io, logger);
  try {
    const made = await attestImage(client, req.ref, req.key.privateKey, req.type, req.predicate, {
      imageDigest: req.imageDigest,
      replace: req.replace,
      attestationRepository,
    });
    if (made.resolvedFromTag) {
      logger.warn(
        `attesting by tag: ${formatImageRef(req.ref)} resolved to ${made.imageDigest} now, and that digest is what the statement is about`,
      );
    }
    const repo = attestationRepository ?? req.ref;
    const where = `${repo.registry}/${repo.repository}:${made.tag}`;
    writeLine(
      io.stderr,
      made.added || made.replaced > 0
        ? `Pushed a ${made.predicateType} attestation to ${where} (${made.attestations} attestation(s) there now${made.replaced > 0 ? `, ${made.replaced} replaced` : ''})`
        : `${where} already holds this attestation; nothing pushed`,
    );
    return made;
  } finally {
    client.close();
  }
}

async function readPredicateFile(file: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new UsageError(`cannot read the predicate ${file}: ${errorMessage(err)}`);
  }
  if (size > MAX_PREDICATE_BYTES) {
    throw new AttestationError(
      'ATTESTATION_PREDICATE_INVALID',
      `the predicate ${file} has ${size} bytes; at most ${MAX_PREDICATE_BYTES} are accepted`,
    );
  }
  return readFile(file);
}

export async function runAttest(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...registryOptions,
      key: { type: 'string' },
      predicate: { type: 'string' },
      type: { type: 'string', default: 'custom' },
      replace: { type: 'boolean', default: false },
      'attestation-repository': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, attestHelp);
    return ExitCode.ok;
  }
  const image = singleImageArgument(positionals, 'attest');
  const keyFile = checkKeyFileFlag(values.key, 'attest');
  if (values.predicate === undefined || values.predicate === '') {
    throw new UsageError('attest needs --predicate FILE');
  }
  predicateTypeFor(values.type);
  const ref = parseRegistryImage(image, 'attest');
  const predicate = await readPredicateFile(path.resolve(io.cwd, values.predicate));
  const key = await readSigningKey(keyFile, io);
  const made = await attestToRegistry(
    {
      ref,
      key,
      type: values.type,
      predicate,
      replace: values.replace,
      attestationRepository: values['attestation-repository'],
    },
    values,
    io,
    logger,
  );
  writeLine(io.stdout, `${ref.registry}/${ref.repository}@${made.imageDigest}`);
  return ExitCode.ok;
}
