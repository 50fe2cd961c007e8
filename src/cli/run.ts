import { errorMessage, isPortcullisError, type Logger } from '../core/index.js';
import { runDb } from './commands/db.js';
import { runInspect } from './commands/inspect.js';
import { runLint } from './commands/lint.js';
import { runScan } from './commands/scan.js';
import { runSbom } from './commands/sbom.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { refusePasswordArguments } from './image-target.js';
import { writeLine, type CliIO } from './io.js';
import { toolInfo } from './tool.js';

const HELP = `Usage: portcullis <command> [options]

Commands:
  inspect <target>   show an image's reference, digest, platform, config and layers
  sbom <target>      list the packages installed in an image as CycloneDX or SPDX JSON
  scan <target>...   find known vulnerabilities (offline database), report and gate
  db <subcommand>    the vulnerability database: import, update, status
  lint [FILE...]     lint Dockerfiles (base images, users, supply chain, TLS, hygiene)

Run 'portcullis <command> --help' for a command's options.
Exit codes: 0 ok, 1 findings, 2 usage or invalid input, 3 not found, 4 authentication,
5 integrity (digest/diffID mismatch), 6 limit exceeded, 7 network, 70 internal error.`;

type Command = (argv: string[], io: CliIO, logger: Logger) => Promise<number>;
const COMMANDS: Readonly<Record<string, Command>> = {
  inspect: runInspect,
  sbom: runSbom,
  scan: runScan,
  db: runDb,
  lint: runLint,
};

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
    const command = COMMANDS[name];
    if (command === undefined) {
      writeLine(io.stderr, `portcullis: unknown command "${name.slice(0, 40)}"\n\n${HELP}`);
      return ExitCode.usage;
    }
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
