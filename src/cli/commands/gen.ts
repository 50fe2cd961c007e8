import path from 'node:path';
import { parseArgs } from 'node:util';
import { CoreError, writeFileAtomic, type Logger } from '../../core/index.js';
import {
  buildPullSecret,
  formatEncryptionConfig,
  formatPullSecret,
  generateEncryptionConfig,
  GENERATED_PROVIDERS,
  loadEncryptionConfigFile,
  PullSecretError,
  secretsCoverage,
  type LoadedEncryptionConfig,
  type GeneratedProviderType,
} from '../../kube/index.js';
import { createDockerConfigCredentialStore, readPasswordFromStdin } from '../../oci/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';

export const genHelp = `Usage: portcullis gen encryption-config [--provider secretbox|aesgcm|aescbc|kms-v2]
                              [--kms-endpoint unix:///PATH] [--kms-name NAME]
                              [--rotate-from FILE] (--output FILE | --print) [--force]
       portcullis gen pull-secret --registry R (--username U --password-stdin | --from-docker-config)
                              [--name NAME] [--namespace NS] [-o yaml|json] [--output FILE] [--force]

gen encryption-config writes an EncryptionConfiguration for kube-apiserver's
--encryption-provider-config (docs/gen.md): a fresh random 32-byte key named after today's date
(key-YYYYMMDD) in the first provider, so it encrypts every new write, and identity last so
Secrets stored before encryption stay readable. With --rotate-from, the file in use is read and
kept: the new key goes first (into the same provider when the type matches), the old providers
and keys stay after it to decrypt existing data, identity stays last, plain-text opt-outs (events)
are left alone. The file is written atomically with mode 0600. The key is never printed unless
--print is given; without --output or --print the command refuses to run.

gen pull-secret prints a kubernetes.io/dockerconfigjson Secret for the registry, the same as
kubectl create secret docker-registry. The password is read from stdin (--password-stdin), never
from arguments, or taken with --from-docker-config from Docker's config.json ($DOCKER_CONFIG or
~/.docker) and its credential helpers.

Options (encryption-config):
  --provider P          secretbox (default), aesgcm, aescbc, or kms-v2 (a KMS v2 plugin); with
                        --rotate-from, default: the provider that writes Secrets now
  --kms-endpoint URL    kms-v2: the plugin's unix:// socket (required for kms-v2)
  --kms-name NAME       kms-v2: the provider name (default kms-YYYYMMDD)
  --rotate-from FILE    the configuration in use; its providers and keys are kept after the new key
  --output FILE         write the configuration here (mode 0600); may be the --rotate-from file
  --print               print the configuration, key included, on stdout
  --force               replace an existing --output file

Options (pull-secret):
  --registry R          the registry as kubelet will look it up (ghcr.io, registry.example.com:5000)
  --username U          with --password-stdin: the password or token is read from stdin
  --password-stdin
  --from-docker-config  take the credential for R from Docker's config and credential helpers
  --name NAME           the Secret's name (default regcred)
  --namespace NS        the Secret's namespace (default: none, kubectl's current one applies)
  -o, --format F        yaml (default) or json
  --output FILE         write the Secret here (mode 0600) instead of stdout
  --force               replace an existing --output file

Exit codes: 0 written, 2 invalid flags or input, 4 no usable credential for the registry.`;

// The options both generators take: where the file goes, and the help flag.
const OUTPUT_OPTIONS = {
  output: { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function printHelp(io: CliIO): number {
  writeLine(io.stdout, genHelp);
  return ExitCode.ok;
}

function noArguments(sub: string, positionals: readonly string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`gen ${sub} takes no arguments, got ${positionals.length}`);
}

function resolvePath(io: CliIO, file: string): string {
  return path.resolve(io.cwd, file);
}

async function writeSecretFile(file: string, text: string, overwrite: boolean): Promise<void> {
  try {
    await writeFileAtomic(file, text, 0o600, { overwrite });
  } catch (err) {
    const cause = err instanceof CoreError ? err.cause : undefined;
    if (typeof cause === 'object' && Boolean(cause) && (cause as { code?: unknown }).code === 'EEXIST') {
      throw new UsageError(`${file} exists; use --force to replace it`);
    }
    throw err;
  }
}

function isGeneratedProvider(p: string): p is GeneratedProviderType {
  return (GENERATED_PROVIDERS as readonly string[]).includes(p);
}

/**
 * The provider a rotation keeps when --provider is not given: the one that writes Secrets now,
 * so rotating never silently changes the algorithm (and never demotes KMS to a local key).
 * @throws UsageError when KMS writes them: its keys rotate in the KMS, not in this file.
 */
function providerInUse(old: LoadedEncryptionConfig): string {
  const coverage = secretsCoverage(old.config.resources);
  const writer = coverage === undefined ? undefined : old.config.resources[coverage.entry]?.providers[0];
  if (writer?.type === 'kms') {
    throw new UsageError(
      `${old.file} encrypts Secrets with the KMS ${writer.apiVersion} provider "${writer.name}": rotate its key in the KMS (KMS v2 also rotates its data keys itself); pass --provider to replace the provider instead`,
    );
  }
  return writer === undefined || writer.type === 'identity' ? 'secretbox' : writer.type;
}

async function runEncryptionConfig(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      provider: { type: 'string' },
      'kms-endpoint': { type: 'string' },
      'kms-name': { type: 'string' },
      'rotate-from': { type: 'string' },
      print: { type: 'boolean', default: false },
      ...OUTPUT_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return printHelp(io);
  noArguments('encryption-config', positionals);
  if (values.output === undefined && !values.print) {
    throw new UsageError(
      'gen encryption-config needs --output FILE (written with mode 0600); the key is printed only with --print',
    );
  }
  const rotateFrom = values['rotate-from'] === undefined ? undefined : resolvePath(io, values['rotate-from']);
  const old =
    rotateFrom === undefined ? undefined : await loadEncryptionConfigFile(rotateFrom, values['rotate-from']);
  const provider = values.provider ?? (old === undefined ? 'secretbox' : providerInUse(old));
  if (!isGeneratedProvider(provider)) {
    throw new UsageError(
      `--provider must be one of ${GENERATED_PROVIDERS.join(', ')}, got ${JSON.stringify(provider.slice(0, 40))}`,
    );
  }
  if (provider !== 'kms-v2' && (values['kms-endpoint'] !== undefined || values['kms-name'] !== undefined)) {
    throw new UsageError('--kms-endpoint and --kms-name apply only to --provider kms-v2');
  }
  if (provider === 'kms-v2' && values['kms-endpoint'] === undefined) {
    throw new UsageError('--provider kms-v2 needs --kms-endpoint unix:///PATH (the KMS v2 plugin socket)');
  }
  const now = new Date();
  const kmsEndpoint = values['kms-endpoint'];
  const kmsName = values['kms-name'];
  const generated = generateEncryptionConfig({
    provider,
    now,
    ...(kmsEndpoint === undefined
      ? {}
      : { kms: { endpoint: kmsEndpoint, ...(kmsName === undefined ? {} : { name: kmsName }) } }),
    ...(old === undefined ? {} : { rotateFrom: old.config }),
  });
  const header = [
    `Generated by portcullis gen encryption-config on ${now.toISOString()}${old === undefined ? '' : ` from ${path.basename(old.file)}`}.`,
    'The first provider encrypts new writes; the others only decrypt. Keep this file mode 0600',
    'on the control-plane hosts: it holds the key. docs: docs/gen.md',
  ].join('\n');
  const text = formatEncryptionConfig(generated.config, header);
  const what =
    provider === 'kms-v2'
      ? `KMS v2 provider ${generated.keyName}`
      : `${provider} key ${generated.keyName} (32 random bytes)`;
  const report = values.print ? io.stderr : io.stdout;
  if (values.output !== undefined) {
    const output = resolvePath(io, values.output);
    await writeSecretFile(output, text, values.force || output === rotateFrom);
    writeLine(
      report,
      `wrote ${output} (mode 0600): ${what} encrypts new writes${old === undefined ? '' : '; the old providers and keys follow it'}`,
    );
  }
  if (values.print) io.stdout.write(text);
  writeLine(
    report,
    'next: install it on every control-plane host, restart kube-apiserver, then rewrite existing Secrets (kubectl get secrets -A -o json | kubectl replace -f -)',
  );
  return ExitCode.ok;
}

async function runPullSecret(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      registry: { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'from-docker-config': { type: 'boolean', default: false },
      name: { type: 'string', default: 'regcred' },
      namespace: { type: 'string' },
      format: { type: 'string', short: 'o', default: 'yaml' },
      ...OUTPUT_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return printHelp(io);
  noArguments('pull-secret', positionals);
  const registry = values.registry;
  if (registry === undefined) throw new UsageError('gen pull-secret needs --registry R');
  const format = values.format;
  if (format !== 'yaml' && format !== 'json')
    throw new UsageError(`-o must be yaml or json, got ${JSON.stringify(format.slice(0, 20))}`);
  let username: string;
  let password: string;
  if (values['from-docker-config']) {
    if (values.username !== undefined || values['password-stdin']) {
      throw new UsageError(
        "--from-docker-config takes the username and password from Docker's config; drop --username and --password-stdin",
      );
    }
    const store = createDockerConfigCredentialStore({ env: io.env, logger });
    const credential = await store.get(registry);
    if (credential === undefined) {
      throw new PullSecretError(
        'PULL_SECRET_NO_CREDENTIALS',
        `no credentials for ${registry} in ${store.describe(registry)}`,
      );
    }
    if (credential.kind !== 'basic') {
      throw new PullSecretError(
        'PULL_SECRET_CREDENTIAL_UNSUPPORTED',
        `${store.describe(registry)} holds an identity token for ${registry}, which kubelet cannot use; pass a username and a password or access token with --username U --password-stdin`,
      );
    }
    ({ username, password } = credential);
  } else {
    if (values.username === undefined) {
      throw new UsageError('gen pull-secret needs --username U --password-stdin, or --from-docker-config');
    }
    if (!values['password-stdin']) {
      throw new UsageError('--username needs --password-stdin: passwords are never taken from arguments');
    }
    username = values.username;
    password = await readPasswordFromStdin(io.stdin);
  }
  const secret = buildPullSecret({
    registry,
    username,
    password,
    name: values.name,
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
  });
  const text = formatPullSecret(secret, format);
  if (values.output === undefined) {
    io.stdout.write(text);
  } else {
    const output = resolvePath(io, values.output);
    await writeSecretFile(output, text, values.force);
    writeLine(io.stdout, `wrote ${output} (mode 0600): Secret ${secret.metadata.name} for ${registry}`);
  }
  return ExitCode.ok;
}

/** `portcullis gen encryption-config|pull-secret`: the safe versions of files people get wrong. */
export async function runGen(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'encryption-config':
      return runEncryptionConfig(rest, io);
    case 'pull-secret':
      return runPullSecret(rest, io, logger);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      writeLine(sub === undefined ? io.stderr : io.stdout, genHelp);
      return sub === undefined ? ExitCode.usage : ExitCode.ok;
    default:
      throw new UsageError(
        `unknown gen subcommand "${sub.slice(0, 40)}"; expected encryption-config or pull-secret`,
      );
  }
}
