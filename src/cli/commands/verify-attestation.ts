import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { formatImageRef } from '../../imageref/index.js';
import {
  predicateTypeFor,
  readPublicKeyFile,
  verifyImageAttestations,
  type ImageAttestationVerification,
} from '../../signing/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import {
  openRegistryClient,
  parseRegistryImage,
  registryHelp,
  registryOptions,
  signatureRepositoryFrom,
  singleImageArgument,
} from '../registry-client.js';
import { checkKeyFileFlag } from './attest.js';

export const verifyAttestationHelp = `Usage: portcullis verify-attestation --key PUB [--type TYPE] [--format text|json] [options] IMAGE

Verifies an image's attestations in cosign's formats with a public key, offline (cosign's
--insecure-ignore-tlog): DSSE envelopes in the manifest at tag sha256-<hex>.att (cosign attest
before v3, portcullis attest) and key-based Sigstore bundles among the image's OCI 1.1
referrers (cosign v3). An attestation counts when its signature verifies with the
key over the DSSE pre-authentication encoding, its in-toto statement names the image's digest
as a subject, and its predicate type is TYPE. A tag is resolved to the digest it names now.

Prints each verified statement (one JSON line each, after a line saying where it came from).
Exit 0 with at least one valid attestation; otherwise 1, with why each candidate failed.

Options:
  --key FILE                      public key (cosign.pub: PEM SubjectPublicKeyInfo)
  --type TYPE                     predicate type: custom (default), cyclonedx, spdx, spdxjson,
                                  vuln, slsaprovenance, slsaprovenance1, link, openvex or a URI
  --format text|json              output (default text)
  --attestation-repository REPO   where the .att manifest is (default: $COSIGN_REPOSITORY, else
                                  beside the image)

${registryHelp}`;

/** Version of the JSON output; bumped on incompatible changes. */
export const VERIFY_ATTESTATION_JSON_SCHEMA_VERSION = 1;

/** The JSON output of `verify-attestation --format json`. */
export type VerifyAttestationReport = {
  readonly schemaVersion: typeof VERIFY_ATTESTATION_JSON_SCHEMA_VERSION;
  readonly image: string;
  readonly digest: string;
  readonly predicateType: string;
  readonly key: { readonly file: string; readonly hint: string };
  readonly verified: readonly { readonly source: string; readonly statement: unknown }[];
  readonly failed: readonly { readonly candidate: string; readonly code: string; readonly reason: string }[];
  readonly problems: readonly string[];
};

function toReport(
  image: string,
  key: VerifyAttestationReport['key'],
  r: ImageAttestationVerification,
): VerifyAttestationReport {
  const verified: { source: string; statement: unknown }[] = [];
  const failed: { candidate: string; code: string; reason: string }[] = [];
  for (const x of r.results) {
    if (x.ok) verified.push({ source: x.source, statement: x.statement });
    else failed.push({ candidate: x.source, code: x.failure.code, reason: x.failure.message });
  }
  return {
    schemaVersion: VERIFY_ATTESTATION_JSON_SCHEMA_VERSION,
    image,
    digest: r.imageDigest,
    predicateType: r.predicateType,
    key,
    verified,
    failed,
    problems: r.problems,
  };
}

export async function runVerifyAttestation(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...registryOptions,
      key: { type: 'string' },
      type: { type: 'string', default: 'custom' },
      format: { type: 'string', default: 'text' },
      'attestation-repository': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, verifyAttestationHelp);
    return ExitCode.ok;
  }
  const target = singleImageArgument(positionals, 'verify-attestation');
  const format = values.format;
  if (format !== 'text' && format !== 'json') {
    throw new UsageError(`unknown --format "${format.slice(0, 40)}": expected text or json`);
  }
  const keyFile = checkKeyFileFlag(values.key, 'verify-attestation');
  predicateTypeFor(values.type);
  const ref = parseRegistryImage(target, 'verify-attestation');
  const attestationRepository = signatureRepositoryFrom(values['attestation-repository'], io);
  const key = await readPublicKeyFile(path.resolve(io.cwd, keyFile));
  const client = await openRegistryClient(ref, values, io, logger);
  let result: ImageAttestationVerification;
  try {
    result = await verifyImageAttestations(client, ref, key.publicKey, {
      type: values.type,
      attestationRepository,
    });
  } finally {
    client.close();
  }
  const image = formatImageRef(ref);
  const report = toReport(image, { file: keyFile, hint: key.hint }, result);
  for (const p of report.problems) logger.warn(p);
  const why =
    result.results.length === 0
      ? `no attestations for ${image} (${report.digest}): nothing at tag ${result.tag}${ref.digest === undefined ? ' (if the tag was moved after attesting, the image it names now has none)' : ''}`
      : `no valid ${report.predicateType} attestation for ${image} (${report.digest}) with key ${keyFile}:`;

  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(report, undefined, 2)}\n`);
    if (report.verified.length === 0) writeLine(io.stderr, `portcullis verify-attestation: ${why}`);
    return report.verified.length > 0 ? ExitCode.ok : ExitCode.findings;
  }
  for (const v of report.verified) {
    writeLine(
      io.stdout,
      `Verified ${v.source} of ${report.digest} (${report.predicateType}) with key ${keyFile}`,
    );
    writeLine(io.stdout, JSON.stringify(v.statement));
  }
  if (report.verified.length > 0) {
    if (report.failed.length > 0) {
      writeLine(
        io.stderr,
        `${report.failed.length} other attestation(s) did not verify or are of another type`,
      );
    }
    return ExitCode.ok;
  }
  writeLine(io.stderr, `portcullis verify-attestation: ${why}`);
  for (const f of report.failed) writeLine(io.stderr, `  ${f.candidate}: ${f.reason} [${f.code}]`);
  return ExitCode.findings;
}
