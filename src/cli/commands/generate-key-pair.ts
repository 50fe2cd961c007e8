import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { writeKeyPairFiles } from '../../signing/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { readKeyPassword } from '../key-password.js';

export const generateKeyPairHelp = `Usage: portcullis generate-key-pair [--output-key-prefix NAME] [--force]

Generates an ECDSA P-256 key pair in cosign's format: NAME.key, the private key encrypted with
a password (PEM "ENCRYPTED SIGSTORE PRIVATE KEY": scrypt N=65536 r=8 p=1 and nacl/secretbox
over PKCS#8), written with mode 0600, and NAME.pub, the public key (PEM "PUBLIC KEY"). cosign
reads both; sign with NAME.key and give NAME.pub to verifiers and admission policies.

The password comes from PORTCULLIS_PASSWORD, else COSIGN_PASSWORD (set but empty means no
password), else it is asked twice on the terminal. It is never taken from arguments.

Options:
  --output-key-prefix NAME  file name prefix, may include a directory (default cosign)
  --force                   replace existing NAME.key and NAME.pub (default: refuse)`;

export async function runGenerateKeyPair(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'output-key-prefix': { type: 'string', default: 'cosign' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, generateKeyPairHelp);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `generate-key-pair takes no arguments, got "${(positionals[0] ?? '').slice(0, 40)}" (use --output-key-prefix NAME)`,
    );
  }
  const prefix = values['output-key-prefix'];
  if (prefix === '' || prefix.endsWith('/') || prefix.endsWith(path.sep)) {
    throw new UsageError(`--output-key-prefix must name a file prefix, got "${prefix.slice(0, 80)}"`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(prefix)) {
    throw new UsageError(
      `--output-key-prefix "${prefix.slice(0, 80)}" is a KMS or Kubernetes reference; only files are supported`,
    );
  }
  const password = await readKeyPassword(io, { confirm: true });
  if (password === '')
    logger.warn('the private key has an empty password: anyone who can read the file can sign');
  const files = await writeKeyPairFiles(path.resolve(io.cwd, prefix), password, { force: values.force });
  writeLine(io.stdout, `Private key written to ${files.privateKeyPath}`);
  writeLine(io.stdout, `Public key written to ${files.publicKeyPath}`);
  return ExitCode.ok;
}
