import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { silentLogger, type Logger } from '../../core/index.js';
import {
  FilesystemBlobStore,
  SqliteAuditLog,
  createTokenSigner,
  createTokenVerifier,
  formatSigningKeyPem,
  generateSigningKey,
  parseSigningKeyPem,
  startRegistryServer,
  type AccountStore,
  type MetadataStore,
  type RegistryHooks,
  type RegistryServer,
} from '../../registry/index.js';

// The server layer of `portcullis serve`: the registry's HTTP server with what sits on top of it
// (the audit log, the token key, and the hooks through which scan-on-push and the pull gates
// see pushes and pulls), started together and stopped in order.

/** The token signing key's file in the data directory. */
export const TOKEN_KEY_FILE = 'token-key.pem';

/** What the runtime is started on: the stores (opened by the caller, who closes them after). */
export type RegistryRuntimeOptions = {
  readonly host: string;
  readonly port: number;
  /** Serve HTTPS with this PEM certificate chain and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /** Blobs and uploads live here; the token key too ({@link TOKEN_KEY_FILE}). */
  readonly dataDir: string;
  /** The connection to registry.db that the audit log (and the scan worker) share. */
  readonly db: Database.Database;
  readonly accounts: AccountStore;
  readonly metadata: MetadataStore;
  /** Service name in challenges and tokens (issuer and audience). */
  readonly service: string;
  /** The token endpoint named in challenges; default built from each request. */
  readonly realm?: string | undefined;
  readonly logger?: Logger | undefined;
};

/** A running registry with its server layer. */
export type RegistryRuntime = {
  /** `http(s)://host:port`, with the port actually bound. */
  readonly url: string;
  readonly server: RegistryServer;
  /** One line each on what runs and what does not (for the operator's terminal). */
  readonly notices: readonly string[];
  /**
   * Stops listening, lets in-flight requests finish, then stops what runs beside the server.
   * The stores given in the options stay open for the caller to close.
   */
  close(): Promise<void>;
};

/**
 * Starts the registry and its server layer on the given stores.
 * @throws the listen error (EADDRINUSE, EACCES...); the token key's read or write error.
 */
export async function startRegistryRuntime(opts: RegistryRuntimeOptions): Promise<RegistryRuntime> {
  const logger = opts.logger ?? silentLogger;
  const privateKey = await loadOrCreateSigningKey(path.join(opts.dataDir, TOKEN_KEY_FILE));
  // The audit log shares the accounts' connection (its own tables and schema version).
  const audit = new SqliteAuditLog(opts.db);
  const hooks: RegistryHooks = {};
  const server = await startRegistryServer({
    host: opts.host,
    port: opts.port,
    blobs: new FilesystemBlobStore(opts.dataDir),
    metadata: opts.metadata,
    logger,
    tls: opts.tls,
    hooks,
    auth: {
      store: opts.accounts,
      audit,
      service: opts.service,
      ...(opts.realm === undefined ? {} : { realm: opts.realm }),
      signer: createTokenSigner({ privateKey, issuer: opts.service }),
      verifier: createTokenVerifier({
        publicKeys: [privateKey],
        issuer: opts.service,
        audience: opts.service,
      }),
    },
  });
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    server,
    notices: [],
    close: () => (closing ??= server.close()),
  };
}

/** Reads the token signing key, or creates it (mode 0600, never overwriting a concurrent one). */
export async function loadOrCreateSigningKey(file: string): Promise<KeyObject> {
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
