import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { formatImageRef } from '../../imageref/index.js';
import {
  parseAnnotationFlags,
  readPrivateKeyFile,
  signImage,
  signImageWithBundle,
} from '../../signing/index.js';
import { ExitCode } from '../exit-codes.js';
import { checkKeyFileFlag } from './attest.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { readKeyPassword } from '../key-password.js';
import {
  openRegistryClient,
  parseRegistryImage,
  registryHelp,
  registryOptions,
  signatureRepositoryFrom,
  singleImageArgument,
} from '../registry-client.js';

export const signHelp = `Usage: portcullis sign --key KEY [-a key=value]... [--bundle] [options] IMAGE

Signs an image in a registry with a cosign key (see portcullis generate-key-pair) and stores the
signature in the registry in cosign's format, so that cosign, admission controllers and
portcullis verify can check it. A tag is resolved to the digest it points to now, and that
digest is what gets signed: moving the tag later does not move the signature.

Default format: a simple-signing payload signed with the key, appended as a layer to the
manifest at tag sha256-<hex>.sig (cosign's long-standing format, which every cosign version
and admission controller reads). Signing again with the same key and annotations adds nothing.
--bundle instead attaches a Sigstore bundle v0.3 as an OCI 1.1 referrer, the format cosign v3
writes by default. Neither is uploaded to a transparency log: verify with cosign using
--insecure-ignore-tlog.

The key password comes from PORTCULLIS_PASSWORD, else COSIGN_PASSWORD, else a prompt on the
terminal; never from arguments. Prints the signed image as REPOSITORY@DIGEST.

Options:
  --key FILE                    private key (cosign.key, or an unencrypted PKCS#8 PEM)
  -a, --annotations key=value   add to the payload's "optional" claims (repeatable)
  --bundle                      attach a Sigstore bundle referrer instead of a .sig layer
  --signature-repository REPO   store the .sig manifest in REPO (default: $COSIGN_REPOSITORY,
                                else beside the image)

${registryHelp}`;

export async function runSign(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...registryOptions,
      key: { type: 'string' },
      annotations: { type: 'string', short: 'a', multiple: true, default: [] },
      bundle: { type: 'boolean', default: false },
      'signature-repository': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, signHelp);
    return ExitCode.ok;
  }
  const image = singleImageArgument(positionals, 'sign');
  const keyFile = checkKeyFileFlag(values.key, 'sign');
  const annotations = parseAnnotationFlags(values.annotations);
  const ref = parseRegistryImage(image, 'sign');
  const signatureRepository = signatureRepositoryFrom(values['signature-repository'], io);
  if (values.bundle && signatureRepository !== undefined) {
    throw new UsageError(
      '--bundle attaches the signature as a referrer beside the image; it cannot go to another repository (drop --signature-repository or COSIGN_REPOSITORY)',
    );
  }
  // The password is asked only when the key file is encrypted.
  const pair = await readPrivateKeyFile(path.resolve(io.cwd, keyFile), () =>
    readKeyPassword(io, { confirm: false }),
  );
  const client = await openRegistryClient(ref, values, io, logger);
  try {
    const repo = `${ref.registry}/${ref.repository}`;
    if (values.bundle) {
      const signed = await signImageWithBundle(client, ref, pair.privateKey, { annotations });
      if (ref.digest === undefined) warnTag(logger, formatImageRef(ref), signed.imageDigest);
      writeLine(io.stderr, `Attached a Sigstore bundle as referrer ${repo}@${signed.referrerDigest}`);
      writeLine(io.stdout, `${repo}@${signed.imageDigest}`);
      return ExitCode.ok;
    }
    const signed = await signImage(client, ref, pair.privateKey, {
      annotations,
      signerKey: pair.publicKey,
      signatureRepository,
    });
    if (signed.resolvedFromTag) warnTag(logger, formatImageRef(ref), signed.imageDigest);
    const sigRepo = signatureRepository ?? ref;
    const where = `${sigRepo.registry}/${sigRepo.repository}:${signed.tag}`;
    writeLine(
      io.stderr,
      signed.added
        ? `Pushed the signature to ${where} (${signed.signatures} signature(s) there now)`
        : `${where} already holds a signature of this payload by this key; nothing pushed`,
    );
    writeLine(io.stdout, `${repo}@${signed.imageDigest}`);
    return ExitCode.ok;
  } finally {
    client.close();
  }
}

function warnTag(logger: Logger, reference: string, digest: string): void {
  logger.warn(
    `signing by tag: ${reference} resolved to ${digest} now, and that digest is what was signed; if the tag moves, the image it then names is not signed (sign by digest to be explicit)`,
  );
}
