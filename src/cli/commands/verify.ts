import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { formatImageRef, type ImageRef } from '../../imageref/index.js';
import {
  parseAnnotationFlags,
  readPublicKeyFile,
  verifyImageWith,
  type ImageVerification,
  type ImageVerifier,
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
import { readTrustedRoot } from '../trusted-root.js';

export const verifyHelp = `Usage: portcullis verify --key PUB [options] IMAGE
       portcullis verify --trusted-root FILE --certificate-identity ID --certificate-oidc-issuer URL [options] IMAGE

Verifies an image's cosign signatures offline once fetched: the simple-signing layers at tag
sha256-<hex>.sig and the Sigstore bundles attached as OCI 1.1 referrers (cosign v3's default).
A signature counts when it verifies over the stored payload bytes, names the digest the image
resolves to now, names the same repository in its docker-reference (cosign does not check
this; --ignore-reference to skip it), and carries every -a key=value given.

Prints each valid signature (the key or identity it verified with, then its payload) and exits
0 when at least one holds; otherwise says why each candidate failed and exits 1.

Options:
  --key FILE                      public key (cosign.pub; a certificate's key is accepted too)
  --trusted-root FILE             Sigstore trusted root JSON; with --key, a transparency-log
                                  proof is then required, as cosign requires by default
  --certificate-identity ID       keyless: the signing certificate's exact subject (email, URI)
  --certificate-oidc-issuer URL   keyless: the exact OIDC issuer of that certificate
  -a, --annotations key=value     required payload annotation (repeatable)
  --ignore-reference              accept signatures naming another repository
  --signature-repository REPO     where the .sig manifest is (default: $COSIGN_REPOSITORY, else
                                  beside the image)
  --format text|json              output (default text); json is described in docs/signing.md

Exit codes: 0 at least one valid signature, 1 none (or no signatures at all), 2 usage or
unreadable key, 3 image not found, 4 authentication, 5 malformed signature manifest, 7 network.

${registryHelp}`;

/** Version of the JSON output; bumped only for incompatible changes. */
export const VERIFY_JSON_SCHEMA_VERSION = 1;

type VerifiedEntry = {
  readonly source: string;
  readonly format: 'simple-signing' | 'sigstore-bundle';
  /** base64 signature of a `.sig` layer. */
  readonly signature?: string;
  /** The simple-signing payload (`.sig` layers) or the in-toto statement (bundles). */
  readonly payload: unknown;
};

type FailedEntry = { readonly candidate: string; readonly code: string; readonly reason: string };

/** The JSON output, `schemaVersion` 1 (docs/signing.md). */
export type VerifyReport = {
  readonly schemaVersion: typeof VERIFY_JSON_SCHEMA_VERSION;
  readonly image: string;
  readonly digest: string;
  readonly verifier:
    | {
        readonly kind: 'key';
        readonly key: string;
        readonly keyHint: string;
        readonly transparencyLog: boolean;
      }
    | { readonly kind: 'keyless'; readonly identity: string; readonly issuer: string };
  readonly verified: readonly VerifiedEntry[];
  readonly failed: readonly FailedEntry[];
  readonly problems: readonly string[];
};

type Verifier = { readonly verifier: ImageVerifier; readonly describe: VerifyReport['verifier'] };

async function verifierFrom(
  values: {
    readonly key?: string | undefined;
    readonly 'trusted-root'?: string | undefined;
    readonly 'certificate-identity'?: string | undefined;
    readonly 'certificate-oidc-issuer'?: string | undefined;
  },
  io: CliIO,
): Promise<Verifier> {
  const identity = values['certificate-identity'];
  const issuer = values['certificate-oidc-issuer'];
  const rootFile = values['trusted-root'];
  const trustedRoot =
    rootFile === undefined ? undefined : await readTrustedRoot(path.resolve(io.cwd, rootFile));
  if (values.key !== undefined) {
    if (identity !== undefined || issuer !== undefined) {
      throw new UsageError(
        '--key and --certificate-identity/--certificate-oidc-issuer exclude each other: verify with a key or keylessly',
      );
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(values.key)) {
      throw new UsageError(
        `--key "${values.key.slice(0, 80)}" is a KMS or Kubernetes reference; only key files are supported`,
      );
    }
    const key = await readPublicKeyFile(path.resolve(io.cwd, values.key));
    return {
      verifier: { kind: 'key', key: key.publicKey, trustedRoot },
      describe: {
        kind: 'key',
        key: values.key,
        keyHint: key.hint,
        transparencyLog: trustedRoot !== undefined,
      },
    };
  }
  if (identity === undefined || issuer === undefined || trustedRoot === undefined) {
    throw new UsageError(
      'verify needs --key FILE, or for keyless signatures all of --trusted-root FILE, --certificate-identity ID and --certificate-oidc-issuer URL',
    );
  }
  return {
    verifier: { kind: 'keyless', trustedRoot, identity: { subjectAlternativeName: identity, issuer } },
    describe: { kind: 'keyless', identity, issuer },
  };
}

// The library names its option; on the command line it is a flag.
function cliReason(message: string): string {
  return message.replace('(use ignoreReference to accept it)', '(--ignore-reference accepts it)');
}

function toReport(ref: ImageRef, v: Verifier, r: ImageVerification): VerifyReport {
  const verified: VerifiedEntry[] = [];
  const failed: FailedEntry[] = [];
  for (const c of r.results) {
    if (c.ok) {
      verified.push({
        source: c.source,
        format: 'simple-signing',
        signature: c.signature,
        payload: JSON.parse(Buffer.from(c.payloadBytes).toString('utf8')) as unknown,
      });
    } else {
      failed.push({ candidate: c.source, code: c.failure.code, reason: cliReason(c.failure.message) });
    }
  }
  for (const b of r.bundleResults) {
    if (b.ok) verified.push({ source: b.source, format: 'sigstore-bundle', payload: b.statement });
    else failed.push({ candidate: b.source, code: b.failure.code, reason: cliReason(b.failure.message) });
  }
  return {
    schemaVersion: VERIFY_JSON_SCHEMA_VERSION,
    image: formatImageRef(ref),
    digest: r.imageDigest,
    verifier: v.describe,
    verified,
    failed,
    problems: r.fetched.problems,
  };
}

function describeVerifier(d: VerifyReport['verifier']): string {
  return d.kind === 'key'
    ? `key ${d.key} (${d.keyHint})${d.transparencyLog ? ' with a transparency-log proof' : ''}`
    : `identity ${d.identity} issued by ${d.issuer}`;
}

/** Why nothing was checked: no `.sig` manifest and no bundle referrers for this digest. */
function noSignaturesMessage(ref: ImageRef, report: VerifyReport, r: ImageVerification): string {
  const at = `${ref.registry}/${ref.repository}@${report.digest}`;
  const fromTag =
    ref.digest === undefined
      ? ` (${formatImageRef(ref)} resolves to that digest now; a signature covers the digest it was made for, so if the tag was moved after signing, the image it names now is unsigned)`
      : '';
  return `no signatures found for ${at}: no ${r.fetched.tag} manifest and no Sigstore bundle referrers${fromTag}`;
}

export async function runVerify(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...registryOptions,
      key: { type: 'string' },
      'trusted-root': { type: 'string' },
      'certificate-identity': { type: 'string' },
      'certificate-oidc-issuer': { type: 'string' },
      annotations: { type: 'string', short: 'a', multiple: true, default: [] },
      'ignore-reference': { type: 'boolean', default: false },
      'signature-repository': { type: 'string' },
      format: { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, verifyHelp);
    return ExitCode.ok;
  }
  const image = singleImageArgument(positionals, 'verify');
  const format = values.format;
  if (format !== 'text' && format !== 'json') {
    throw new UsageError(`unknown --format "${format.slice(0, 40)}": expected text or json`);
  }
  const annotations = parseAnnotationFlags(values.annotations);
  const ref = parseRegistryImage(image, 'verify');
  const signatureRepository = signatureRepositoryFrom(values['signature-repository'], io);
  const v = await verifierFrom(values, io);
  const client = await openRegistryClient(ref, values, io, logger);
  let result: ImageVerification;
  try {
    result = await verifyImageWith(client, ref, v.verifier, {
      annotations,
      ignoreReference: values['ignore-reference'],
      signatureRepository,
    });
  } finally {
    client.close();
  }
  const report = toReport(ref, v, result);
  for (const p of report.problems) logger.warn(p);
  const none = result.fetched.signatureManifest === undefined && result.fetched.bundleReferrers.length === 0;

  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(report, undefined, 2)}\n`);
    if (report.verified.length === 0) {
      writeLine(
        io.stderr,
        none
          ? `portcullis verify: ${noSignaturesMessage(ref, report, result)}`
          : `portcullis verify: no valid signature for ${formatImageRef(ref)} (${report.failed.length} candidate(s) failed; see "failed")`,
      );
    }
    return report.verified.length > 0 ? ExitCode.ok : ExitCode.findings;
  }

  for (const s of report.verified) {
    writeLine(
      io.stdout,
      `Verified ${s.source} of ${report.digest} with ${describeVerifier(report.verifier)}`,
    );
    writeLine(io.stdout, JSON.stringify(s.payload));
  }
  if (report.verified.length > 0) {
    if (report.failed.length > 0) {
      writeLine(
        io.stderr,
        `${report.failed.length} other signature(s) did not verify with this ${report.verifier.kind === 'key' ? 'key' : 'identity'}`,
      );
    }
    return ExitCode.ok;
  }
  if (none) {
    writeLine(io.stderr, `portcullis verify: ${noSignaturesMessage(ref, report, result)}`);
    return ExitCode.findings;
  }
  writeLine(
    io.stderr,
    `portcullis verify: no valid signature for ${formatImageRef(ref)} (${report.digest}) with ${describeVerifier(report.verifier)}:`,
  );
  for (const f of report.failed) writeLine(io.stderr, `  ${f.candidate}: ${f.reason} [${f.code}]`);
  return ExitCode.findings;
}
