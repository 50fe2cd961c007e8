import { errorMessage, isPortcullisError, type Logger } from '../core/index.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { writeLine, type CliIO } from './io.js';
import { refusePasswordArguments } from './password-args.js';
import { toolInfo } from './tool.js';

const HELP = `Usage: portcullis <command> [options]

Commands:
  inspect <target>   show an image's reference, digest, platform, config and layers
  sbom <target>      list the packages installed in an image as CycloneDX or SPDX JSON
  scan <target>...   find known vulnerabilities (offline database), report and gate
  db <subcommand>    the vulnerability database: import, update, status
  lint [FILE...]     lint Dockerfiles (base images, users, supply chain, TLS, hygiene), or
                     a built image with --image (root, secrets, files in any layer)
  generate-key-pair  write a cosign key pair: NAME.key (encrypted, 0600) and NAME.pub
  sign <image>       sign an image in its registry with a cosign key (.sig layer, or --bundle)
  verify <image>     verify an image's cosign signatures (key or keyless); exit 1 if none holds
  attest <image>     sign an SBOM, scan result or other predicate and attach it as an attestation
  verify-attestation <image>
                     verify an image's cosign attestations of a type with a public key
  policy <subcommand>
                     test: run a policy's admission rules on manifests (offline), exit 1 on
                     enforce denials; import-gatekeeper: convert Gatekeeper constraints
  admission <subcommand>
                     serve: run the admission webhook (HTTPS: validate, pin tags to digests,
                     metrics); manifests: print its Kubernetes objects with a fresh CA
  audit PATH...      audit Kubernetes manifests: hardcoded secrets, Secret objects, images and
                     pull secrets, pod security, token automount, RBAC access to Secrets;
                     audit encryption-config FILE: the API server's encryption at rest
  gen <subcommand>   encryption-config: a fresh EncryptionConfiguration (rotation kept);
                     pull-secret: a kubernetes.io/dockerconfigjson Secret
  serve              run the private OCI registry (distribution v1.1, authentication, roles,
                     scan-on-push, pull gates)
  user <subcommand>  add, passwd, list, disable, enable, remove registry users (password on stdin)
  project <subcommand>
                     add, list, remove registry projects; member add|remove, members
  robot <subcommand> add (prints its token once on stdout), list, remove robot accounts for CI
  registry gc        remove blobs no manifest references and abandoned uploads (grace period)

Run 'portcullis <command> --help' for a command's options.
Exit codes: 0 ok, 1 findings, 2 usage or invalid input, 3 not found, 4 authentication,
5 integrity (digest/diffID mismatch), 6 limit exceeded, 7 network, 70 internal error.`;

type Command = (argv: string[], io: CliIO, logger: Logger) => Promise<number>;
// Each command's module is imported only when that command runs: together they pull in the
// OCI stack, SQLite, the inventory analyzers and the SBOM libraries, several hundred ms of
// module loading that `portcullis lint` (or `--help`) would otherwise pay on every start.
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  inspect: async () => (await import('./commands/inspect.js')).runInspect,
  sbom: async () => (await import('./commands/sbom.js')).runSbom,
  scan: async () => (await import('./commands/scan.js')).runScan,
  db: async () => (await import('./commands/db.js')).runDb,
  lint: async () => (await import('./commands/lint.js')).runLint,
  'generate-key-pair': async () => (await import('./commands/generate-key-pair.js')).runGenerateKeyPair,
  sign: async () => (await import('./commands/sign.js')).runSign,
  verify: async () => (await import('./commands/verify.js')).runVerify,
  attest: async () => (await import('./commands/attest.js')).runAttest,
  'verify-attestation': async () => (await import('./commands/verify-attestation.js')).runVerifyAttestation,
  policy: async () => (await import('./commands/policy.js')).runPolicy,
  admission: async () => (await import('./commands/admission.js')).runAdmission,
  audit: async () => (await import('./commands/audit.js')).runAudit,
  gen: async () => (await import('./commands/gen.js')).runGen,
  serve: async () => (await import('./commands/serve.js')).runServe,
  user: async () => (await import('./commands/user.js')).runUser,
  project: async () => (await import('./commands/project.js')).runProject,
  robot: async () => (await import('./commands/robot.js')).runRobot,
  registry: async () => (await import('./commands/registry.js')).runRegistry,
};

/** The names `runCli` dispatches on, in the order of the help text. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** A logger for CLI runs: warnings to stderr, debug only with PORTCULLIS_DEBUG=1. */
function stderrLogger(io: CliIO): Logger {
  const debug = io.env['PORTCULLIS_DEBUG'] === '1';
  const fmt = (msg: string, fields?: Record<string, unknown>) =>
    fields ? `${msg} ${JSON.stringify(fields)}` : msg;
  return {
    debug: (msg, fields) => {
      if (debug) writeLine(io.stderr, `debug: ${fmt(msg, fields)}`);
    },
    info: (msg, fields) => {
      if (debug) writeLine(io.stderr, `info: ${fmt(msg, fields)}`);
    },
    warn: (msg, fields) => {
      writeLine(io.stderr, `warning: ${fmt(msg, fields)}`);
    },
  };
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    refusePasswordArguments(argv);
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      writeLine(io.stdout, HELP);
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (name === '--version' || name === 'version') {
      writeLine(io.stdout, toolInfo().version);
      return ExitCode.ok;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (load === undefined) {
      writeLine(io.stderr, `portcullis: unknown command "${name.slice(0, 40)}"\n\n${HELP}`);
      return ExitCode.usage;
    }
    const command = await load();
    return await command(rest, io, stderrLogger(io));
  } catch (err) {
    const code = isPortcullisError(err)
      ? exitCodeFor(err)
      : isArgError(err)
        ? ExitCode.usage
        : ExitCode.internal;
    const label = isPortcullisError(err) ? err.code : isArgError(err) ? 'USAGE' : 'INTERNAL';
    writeLine(io.stderr, `portcullis: ${errorMessage(err)} [${label}]`);
    if (code === ExitCode.internal && err instanceof Error && err.stack) writeLine(io.stderr, err.stack);
    return code;
  }
}

// node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed flags.
function isArgError(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('ERR_PARSE_ARGS')
  );
}
