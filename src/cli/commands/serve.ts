import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage, type Logger } from '../../core/index.js';
import { loadPolicyFile, policyLocation, type Policy } from '../../policy/index.js';
import { SqliteMetadataStore, ensureAdmin } from '../../registry/index.js';
import type { SigstoreTrustedRoot } from '../../signing/index.js';
import { defaultDbPath } from '../../vulndb/index.js';
import { startRegistryRuntime, TOKEN_KEY_FILE, type RegistryRuntime } from '../../server/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { DEFAULT_DATA_DIR, openAccountStore, REGISTRY_DB_FILE } from '../registry-data.js';
import { readTrustedRoot } from '../trusted-root.js';
import { parseListenAddress } from './admission-serve.js';

export const DEFAULT_LISTEN = '127.0.0.1:5000';
/** The service name in token challenges and the tokens' audience (and issuer). */
export const DEFAULT_SERVICE = 'portcullis';
const DEFAULT_RELOAD_SECONDS = 10;

export const serveHelp = `Usage: portcullis serve [--config FILE [--reload-seconds N]] [--data-dir DIR] [--listen ADDR:PORT]
                        [--service NAME] [--tls-cert FILE --tls-key FILE | --allow-plain-http]
                        [--token-realm URL] [--trusted-root FILE]

Runs the OCI registry (distribution spec v1.1): blobs on the filesystem and metadata in SQLite
under --data-dir. Push and pull with any OCI client (skopeo, buildah, docker, oras...) over
HTTPS with --tls-cert/--tls-key, or plain HTTP on loopback. SIGTERM or SIGINT stops it after
in-flight requests finish; upload sessions survive a restart.

Every request is authenticated (Basic, or Docker token auth through GET or POST /token) and
authorized by project role; anonymous callers may only pull from public projects. On the first
start the system administrator "admin" is created with the password in PORTCULLIS_ADMIN_PASSWORD,
or a random one printed once here. Tokens are signed with ${TOKEN_KEY_FILE} in the data directory
(created on the first start, mode 0600).

Without TLS the registry only listens on loopback addresses, since passwords and tokens must not
cross a network in clear text, unless --allow-plain-http says a proxy in front terminates TLS.

Pushed images are scanned in the background when the vulnerability database exists at start
(server.vulnerabilityDb, else $PORTCULLIS_DB, else the one \`portcullis db update\` writes);
without it the registry runs unscanned and says so. What runs is said on stderr at start.

--config FILE is a policy file (portcullis.yaml) whose server: section holds these settings
(listen, dataDir, service, tokenRealm, tls, allowPlainHttp, trustedRoot; paths relative to the
file) and the registry's own (vulnerabilityDb, scan, projects); a flag given on the command line
wins over it.
server.projects puts pull gates (the named vulnerabilities and requireSignature rules) and
immutable tags in force per project. The file is looked at every --reload-seconds: when it
changed and still validates, its gates apply to the requests that follow (other settings need a
restart); when it does not validate, the gates in force stay and a line says why. Keyless
signers of requireSignature rules are checked against the Sigstore trusted root given by
--trusted-root (or server.trustedRoot); without one, rules naming them fail closed.

Options:
  --config FILE        the policy file with a server: section
  --data-dir DIR       where blobs, uploads, registry.db and ${TOKEN_KEY_FILE} live (default ./${DEFAULT_DATA_DIR})
  --listen ADDR:PORT   address to listen on (default ${DEFAULT_LISTEN}; port 0 picks one)
  --service NAME       service name in token challenges and tokens (default ${DEFAULT_SERVICE})
  --tls-cert FILE      serve HTTPS with this PEM certificate chain (with --tls-key)
  --tls-key FILE       the certificate's PEM private key
  --allow-plain-http   listen on a non-loopback address without TLS (behind a TLS-terminating proxy)
  --token-realm URL    the token endpoint named in challenges (default <scheme>://<Host header>/token;
                       set it behind a proxy)
  --trusted-root FILE  Sigstore trusted_root.json for keyless signers in pull gates
  --reload-seconds N   how often to look for a changed --config file (default ${DEFAULT_RELOAD_SECONDS}; 0: never)

Exit codes: 0 stopped by a signal, 2 invalid option or config file, 3 config file not found,
7 cannot listen.`;

/** Whether a listen host is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(h) && h.startsWith('127.');
}

/** `portcullis serve`: the registry on embedded defaults, until the stop signal. */
export async function runServe(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      // No defaults here: a flag given wins over the config file, an absent one does not.
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      listen: { type: 'string' },
      service: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allow-plain-http': { type: 'boolean' },
      'token-realm': { type: 'string' },
      'trusted-root': { type: 'string' },
      'reload-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, serveHelp);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    throw new UsageError(`serve takes no arguments, got "${positionals[0]?.slice(0, 40) ?? ''}"`);
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const reloadSeconds = parseReloadSeconds(values['reload-seconds']);
  const settings = await resolveSettings(values, io);
  const { listen, dataDir, config } = settings;

  // Taken before anything starts: a SIGTERM right after the listening line must stop cleanly.
  const stop = io.stopSignal?.();
  // Accounts live in the same database file as the metadata, on a connection of their own.
  const accounts = await openAccountStore(dataDir, { create: true });
  const metadata = SqliteMetadataStore.open(path.join(dataDir, REGISTRY_DB_FILE));
  let runtime: RegistryRuntime | undefined;
  let stopWatching: (() => void) | undefined;
  try {
    const password = io.env.PORTCULLIS_ADMIN_PASSWORD;
    const boot = await ensureAdmin(
      accounts.store,
      password === undefined || password === '' ? {} : { password },
    );
    if (boot.created) {
      writeLine(
        io.stderr,
        boot.generatedPassword === undefined
          ? `created the system administrator "${boot.user.name}" with the password in PORTCULLIS_ADMIN_PASSWORD`
          : // Printed once, to the terminal only: it is stored nowhere but as an argon2id hash.
            `created the system administrator "${boot.user.name}"; its password (shown only this once): ${boot.generatedPassword}`,
      );
    }
    try {
      runtime = await startRegistryRuntime({
        host: listen.host,
        port: listen.port,
        tls: settings.tls,
        dataDir,
        db: accounts.db,
        accounts: accounts.store,
        metadata,
        service: settings.service,
        realm: settings.realm,
        policy: config?.policy,
        policyDir: config === undefined ? undefined : path.dirname(config.file),
        vulnerabilityDb: settings.vulnerabilityDb,
        trustedRoot: settings.trustedRoot,
        logger,
      });
    } catch (err) {
      if (!isListenError(err)) throw err;
      writeLine(
        io.stderr,
        `portcullis: cannot listen on ${settings.listenText.slice(0, 80)}: ${errorMessage(err)}`,
      );
      return ExitCode.network;
    }
    for (const notice of runtime.notices) writeLine(io.stderr, notice);
    if (config !== undefined && reloadSeconds > 0) {
      const running = runtime;
      stopWatching = await watchConfig(config.file, reloadSeconds * 1000, async () => {
        try {
          const line = running.reloadPolicy(await loadPolicyFile(config.file));
          writeLine(io.stderr, `reloaded ${config.file}: ${line}`);
        } catch (err) {
          // A bad edit must neither open nor close a gate: what is in force stays.
          writeLine(io.stderr, `not reloaded, the gates in force stay: ${errorMessage(err)}`);
        }
      });
    }
    writeLine(io.stderr, `portcullis registry listening on ${runtime.url} (data in ${dataDir})`);
    if (stop === undefined)
      await new Promise<never>(() => undefined); // runs until the process ends
    else if (!stop.aborted) await once(stop, 'abort');
    writeLine(io.stderr, 'stopping: finishing in-flight requests');
    return ExitCode.ok;
  } finally {
    stopWatching?.();
    // In order: stop listening and drain, stop the server layer, then close the stores.
    await runtime?.close();
    accounts.close();
    await metadata.close();
  }
}

/** `--reload-seconds`: how often the config file is looked at (default 10; 0: never). */
function parseReloadSeconds(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RELOAD_SECONDS;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 86_400) {
    throw new UsageError(
      `--reload-seconds expects a whole number from 0 to 86400, got "${value.slice(0, 40)}"`,
    );
  }
  return Number(value);
}

/**
 * Calls `changed` when the file's size, modification time or inode changes (an editor's rename
 * over it included), looking every `intervalMs`; one call at a time. Resolves to the stop function.
 */
async function watchConfig(
  file: string,
  intervalMs: number,
  changed: () => Promise<void>,
): Promise<() => void> {
  const identity = async () => {
    try {
      const s = await stat(file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };
  let last = await identity();
  let busy = false;
  const look = async () => {
    const now = await identity();
    if (now === last) return;
    last = now;
    await changed();
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void look().finally(() => {
      busy = false;
    });
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

/** A listen failure (the address is taken, not ours, or not allowed), as opposed to a bug. */
function isListenError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'EADDRINUSE' ||
    code === 'EADDRNOTAVAIL' ||
    code === 'EACCES' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EINVAL'
  );
}

type ServeFlags = {
  readonly config?: string | undefined;
  readonly 'data-dir'?: string | undefined;
  readonly listen?: string | undefined;
  readonly service?: string | undefined;
  readonly 'tls-cert'?: string | undefined;
  readonly 'tls-key'?: string | undefined;
  readonly 'allow-plain-http'?: boolean | undefined;
  readonly 'token-realm'?: string | undefined;
  readonly 'trusted-root'?: string | undefined;
};

/** What serve runs with, once the flags, the config file's `server:` section and the defaults are merged. */
export type ServeSettings = {
  readonly listenText: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly service: string;
  readonly realm: string | undefined;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** The vulnerability database scan-on-push matches against. */
  readonly vulnerabilityDb: string;
  /** For keyless signers of requireSignature rules in pull gates. */
  readonly trustedRoot: SigstoreTrustedRoot | undefined;
  /** The policy file (`--config`), absolute, and what it holds. */
  readonly config: { readonly file: string; readonly policy: Policy } | undefined;
};

/**
 * Merges the flags (relative to the working directory) over the config file's `server:`
 * section (paths relative to the file) over the defaults, and checks the result.
 * @throws PolicyError for a config file that cannot be read or does not validate (with its
 *   file:line:col); UsageError for a bad flag or setting (naming the file's line for a setting).
 */
async function resolveSettings(values: ServeFlags, io: CliIO): Promise<ServeSettings> {
  let config: ServeSettings['config'];
  if (values.config !== undefined) {
    const file = path.resolve(io.cwd, values.config);
    config = { file, policy: await loadPolicyFile(file) };
  }
  const section = config?.policy.server;
  const configDir = config === undefined ? io.cwd : path.dirname(config.file);
  // `file:line:col: server.key` for a setting taken from the config file.
  const at = (...keys: string[]) =>
    config === undefined ? 'server' : (policyLocation(config.policy, ['server', ...keys]) ?? config.file);

  const listenText = values.listen ?? section?.listen ?? DEFAULT_LISTEN;
  let listen;
  try {
    listen = parseListenAddress(listenText);
  } catch (err) {
    if (values.listen !== undefined || section?.listen === undefined) throw err;
    throw new UsageError(`${at('listen')}: server.listen: ${errorMessage(err).replace(/^--listen /, '')}`);
  }

  let tls: ServeSettings['tls'];
  if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) {
    tls = {
      cert: await readSetting(path.resolve(io.cwd, values['tls-cert']), 'cannot read --tls-cert'),
      key: await readSetting(path.resolve(io.cwd, values['tls-key']), 'cannot read --tls-key'),
    };
  } else if (section?.tls !== undefined) {
    const { cert, key } = section.tls;
    tls = {
      cert: await readSetting(
        path.resolve(configDir, cert),
        `${at('tls', 'cert')}: server.tls.cert: cannot read`,
      ),
      key: await readSetting(
        path.resolve(configDir, key),
        `${at('tls', 'key')}: server.tls.key: cannot read`,
      ),
    };
  }
  const allowPlainHttp = values['allow-plain-http'] === true || section?.allowPlainHttp === true;
  if (tls === undefined && !isLoopbackHost(listen.host) && !allowPlainHttp) {
    throw new UsageError(
      `refusing to listen on ${listen.host.slice(0, 60)} over plain HTTP: passwords and tokens ` +
        'would cross the network in clear text; give --tls-cert and --tls-key (or server.tls), use a loopback address such as 127.0.0.1, ' +
        'or accept the risk with --allow-plain-http (or server.allowPlainHttp: true, behind a TLS-terminating proxy)',
    );
  }
  let trustedRoot: SigstoreTrustedRoot | undefined;
  if (values['trusted-root'] !== undefined) {
    trustedRoot = await loadTrustedRoot(path.resolve(io.cwd, values['trusted-root']), '--trusted-root');
  } else if (section?.trustedRoot !== undefined) {
    trustedRoot = await loadTrustedRoot(
      path.resolve(configDir, section.trustedRoot),
      `${at('trustedRoot')}: server.trustedRoot:`,
    );
  }
  const dataDir =
    values['data-dir'] !== undefined
      ? path.resolve(io.cwd, values['data-dir'])
      : section?.dataDir !== undefined
        ? path.resolve(configDir, section.dataDir)
        : path.resolve(io.cwd, DEFAULT_DATA_DIR);
  return {
    listenText,
    listen,
    dataDir,
    service: values.service ?? section?.service ?? DEFAULT_SERVICE,
    realm: values['token-realm'] ?? section?.tokenRealm,
    tls,
    vulnerabilityDb:
      section?.vulnerabilityDb === undefined
        ? defaultDbPath(io.env)
        : path.resolve(configDir, section.vulnerabilityDb),
    trustedRoot,
    config,
  };
}

/** Reads a file named by a flag or setting; an unreadable one is a usage error starting with `what`. */
async function readSetting(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`${what} ${file.slice(-120)}: ${errorMessage(err)}`);
  }
}

/**
 * Reads a Sigstore trusted root named by a flag or setting, as `verify --trusted-root` does; one
 * that cannot be read or parsed is a usage error starting with `what` and naming the file.
 */
async function loadTrustedRoot(file: string, what: string): Promise<SigstoreTrustedRoot> {
  try {
    return await readTrustedRoot(file);
  } catch (err) {
    throw new UsageError(`${what} ${file.slice(-120)}: ${errorMessage(err)}`);
  }
}
