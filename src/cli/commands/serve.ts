import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage, type Logger } from '../../core/index.js';
import {
  FilesystemBlobStore,
  SqliteAuditLog,
  SqliteMetadataStore,
  createTokenSigner,
  createTokenVerifier,
  ensureAdmin,
  formatSigningKeyPem,
  generateSigningKey,
  parseSigningKeyPem,
  startRegistryServer,
  type RegistryServer,
} from '../../registry/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { DEFAULT_DATA_DIR, openAccountStore, REGISTRY_DB_FILE } from '../registry-data.js';
import { parseListenAddress } from './admission-serve.js';

export const DEFAULT_LISTEN = '127.0.0.1:5000';
/** The service name in token challenges and the tokens' audience (and issuer). */
export const DEFAULT_SERVICE = 'portcullis';
/** The token signing key's file in the data directory. */
export const TOKEN_KEY_FILE = 'token-key.pem';

export const serveHelp = `Usage: portcullis serve [--data-dir DIR] [--listen ADDR:PORT] [--service NAME]
                        [--tls-cert FILE --tls-key FILE | --allow-plain-http]

Runs the OCI registry (distribution spec v1.1): blobs on the filesystem and metadata in SQLite
under --data-dir. Push and pull with any OCI client (skopeo, buildah, docker, oras...) over
HTTPS with --tls-cert/--tls-key, or plain HTTP on loopback. SIGTERM or SIGINT stops it after
in-flight requests finish; upload sessions survive a restart.

Every request is authenticated (Basic, or Docker token auth through GET /token) and authorized
by project role; anonymous callers may only pull from public projects. On the first start the
system administrator "admin" is created with the password in PORTCULLIS_ADMIN_PASSWORD, or a
random one printed once here. Tokens are signed with ${TOKEN_KEY_FILE} in the data directory
(created on the first start, mode 0600).

Without TLS the registry only listens on loopback addresses, since passwords and tokens must not
cross a network in clear text, unless --allow-plain-http says a proxy in front terminates TLS.

Options:
  --data-dir DIR       where blobs, uploads, registry.db and ${TOKEN_KEY_FILE} live (default ./${DEFAULT_DATA_DIR})
  --listen ADDR:PORT   address to listen on (default ${DEFAULT_LISTEN}; port 0 picks one)
  --service NAME       service name in token challenges and tokens (default ${DEFAULT_SERVICE})
  --tls-cert FILE      serve HTTPS with this PEM certificate chain (with --tls-key)
  --tls-key FILE       the certificate's PEM private key
  --allow-plain-http   listen on a non-loopback address without TLS (behind a TLS-terminating proxy)
  --token-realm URL    the token endpoint named in challenges (default <scheme>://<Host header>/token;
                       set it behind a proxy)

Exit codes: 0 stopped by a signal, 2 invalid option, 7 cannot listen.`;

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
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      listen: { type: 'string', default: DEFAULT_LISTEN },
      service: { type: 'string', default: DEFAULT_SERVICE },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allow-plain-http': { type: 'boolean' },
      'token-realm': { type: 'string' },
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
  const listen = parseListenAddress(values.listen);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const tls =
    values['tls-cert'] === undefined || values['tls-key'] === undefined
      ? undefined
      : {
          cert: await readOption(path.resolve(io.cwd, values['tls-cert']), '--tls-cert'),
          key: await readOption(path.resolve(io.cwd, values['tls-key']), '--tls-key'),
        };
  if (tls === undefined && !isLoopbackHost(listen.host) && values['allow-plain-http'] !== true) {
    throw new UsageError(
      `refusing to listen on ${listen.host.slice(0, 60)} over plain HTTP: passwords and tokens ` +
        'would cross the network in clear text; give --tls-cert and --tls-key, use a loopback address such as 127.0.0.1, ' +
        'or accept the risk with --allow-plain-http (behind a TLS-terminating proxy)',
    );
  }
  const dataDir = path.resolve(io.cwd, values['data-dir']);

  // Taken before anything starts: a SIGTERM right after the listening line must stop cleanly.
  const stop = io.stopSignal?.();
  // Accounts live in the same database file as the metadata, on a connection of their own.
  const accounts = await openAccountStore(dataDir, { create: true });
  const metadata = SqliteMetadataStore.open(path.join(dataDir, REGISTRY_DB_FILE));
  let server: RegistryServer | undefined;
  try {
    const store = accounts.store;
    // The audit log shares the accounts' connection (its own tables and schema version).
    const audit = new SqliteAuditLog(accounts.db);
    const password = io.env.PORTCULLIS_ADMIN_PASSWORD;
    const boot = await ensureAdmin(store, password === undefined || password === '' ? {} : { password });
    if (boot.created) {
      writeLine(
        io.stderr,
        boot.generatedPassword === undefined
          ? `created the system administrator "${boot.user.name}" with the password in PORTCULLIS_ADMIN_PASSWORD`
          : // Printed once, to the terminal only: it is stored nowhere but as an argon2id hash.
            `created the system administrator "${boot.user.name}"; its password (shown only this once): ${boot.generatedPassword}`,
      );
    }
    const privateKey = await loadOrCreateSigningKey(path.join(dataDir, TOKEN_KEY_FILE));
    const service = values.service;
    try {
      server = await startRegistryServer({
        host: listen.host,
        port: listen.port,
        blobs: new FilesystemBlobStore(dataDir),
        metadata,
        logger,
        tls,
        auth: {
          store,
          audit,
          service,
          ...(values['token-realm'] === undefined ? {} : { realm: values['token-realm'] }),
          signer: createTokenSigner({ privateKey, issuer: service }),
          verifier: createTokenVerifier({ publicKeys: [privateKey], issuer: service, audience: service }),
        },
      });
    } catch (err) {
      writeLine(
        io.stderr,
        `portcullis: cannot listen on ${values.listen.slice(0, 80)}: ${errorMessage(err)}`,
      );
      return ExitCode.network;
    }
    writeLine(io.stderr, `portcullis registry listening on ${server.url} (data in ${dataDir})`);
    if (stop === undefined)
      await new Promise<never>(() => undefined); // runs until the process ends
    else if (!stop.aborted) await once(stop, 'abort');
    writeLine(io.stderr, 'stopping: finishing in-flight requests');
    return ExitCode.ok;
  } finally {
    await server?.close();
    accounts.close();
    await metadata.close();
  }
}

/** Reads a file named by an option; an unreadable one is a usage error naming the option. */
async function readOption(file: string, option: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read ${option} ${file.slice(-120)}: ${errorMessage(err)}`);
  }
}

/** Reads the token signing key, or creates it (mode 0600, never overwriting a concurrent one). */
async function loadOrCreateSigningKey(file: string): Promise<KeyObject> {
  try {
    return parseSigningKeyPem(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generateSigningKey();
  try {
    await writeFile(file, formatSigningKeyPem(key), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseSigningKeyPem(await readFile(file, 'utf8'));
  }
}
