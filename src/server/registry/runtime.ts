import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { errorMessage, silentLogger, type Logger } from '../../core/index.js';
import type { Policy } from '../../policy/index.js';
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
import type { SigstoreTrustedRoot } from '../../signing/index.js';
import { defaultDbPath } from '../../vulndb/index.js';
import { createRegistryApiExtension } from './api.js';
import { createRegistryGates } from './gates.js';
import type { ScanResultsReader } from './scan-results.js';
import { SqliteScanStore } from './scan-store.js';
import { ScanWorker } from './scan-worker.js';

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
  /**
   * The policy file's content: `server.scan` for scan-on-push, and `server.projects` with the
   * `rules` they name for the pull gates and immutable tags. Absent: no gates.
   */
  readonly policy?: Policy | undefined;
  /** The policy file's directory: `vex` paths are relative to it (default the process's directory). */
  readonly policyDir?: string | undefined;
  /**
   * The vulnerability database scan-on-push matches against (default {@link defaultDbPath}).
   * Images are scanned on push only when it exists at start.
   */
  readonly vulnerabilityDb?: string | undefined;
  /**
   * The Sigstore trusted root the pull gates check keyless signers of requireSignature rules
   * against; without it those signers cannot be checked and such rules fail closed.
   */
  readonly trustedRoot?: SigstoreTrustedRoot | undefined;
  /** How often the worker looks for an updated vulnerability database (default 60 s). */
  readonly dbCheckIntervalMs?: number | undefined;
  readonly logger?: Logger | undefined;
};

/** A running registry with its server layer. */
export type RegistryRuntime = {
  /** `http(s)://host:port`, with the port actually bound. */
  readonly url: string;
  readonly server: RegistryServer;
  /** The scan-on-push worker; undefined when images are not scanned on push. */
  readonly worker: ScanWorker | undefined;
  /** One line each on what runs and what does not (for the operator's terminal). */
  readonly notices: readonly string[];
  /**
   * Puts the gates of another policy (its `rules` and `server.projects`) in force for the
   * requests that follow; returns a line saying what is in force. Scan settings, listen
   * address and the rest of `server:` take effect on the next start only.
   */
  reloadPolicy(policy: Policy): string;
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
  // The audit log and the scan worker share the accounts' connection (each has its own tables
  // and schema version).
  const audit = new SqliteAuditLog(opts.db);
  const blobs = new FilesystemBlobStore(opts.dataDir);
  const notices: string[] = [];
  const worker = openScanWorker(opts, blobs, logger, notices);
  // Without a worker the gates still read the scans stored by earlier runs.
  const scans: ScanResultsReader = worker ?? new SqliteScanStore(opts.db);
  const gatesOf = (policy: Policy | undefined) =>
    policy?.server?.projects === undefined || policy.server.projects.length === 0
      ? undefined
      : createRegistryGates({
          policy,
          policyDir: opts.policyDir ?? process.cwd(),
          scans,
          blobs,
          metadata: opts.metadata,
          trustedRoot: opts.trustedRoot,
          logger,
        });
  // Swapped whole by reloadPolicy; the hooks and the API read them on every request.
  let policy = opts.policy;
  let gates = gatesOf(policy);
  notices.push(describeGates(opts.policy, worker !== undefined));
  const hooks: RegistryHooks = {
    checkPull: (ctx) => gates?.checkPull(ctx) ?? Promise.resolve(undefined),
    checkTagChange: (ctx) => gates?.checkTagChange(ctx) ?? Promise.resolve(undefined),
    onManifestPushed: (event) => {
      worker?.onManifestPushed(event);
      gates?.onManifestPushed(event);
    },
  };
  let server: RegistryServer;
  try {
    server = await startRegistryServer({
      host: opts.host,
      port: opts.port,
      blobs,
      metadata: opts.metadata,
      logger,
      tls: opts.tls,
      hooks,
      // Scan results, signatures and each project's gates under /api/v1.
      apiExtensions: [
        createRegistryApiExtension({
          scans,
          get policy() {
            return policy;
          },
        }),
      ],
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
  } catch (err) {
    await worker?.close();
    throw err;
  }
  // Work queued before a restart resumes once the server is up; images pushed while nothing
  // scanned (no database, scanning off) join the queue.
  if (worker !== undefined) {
    worker.start();
    try {
      const backfilled = await worker.backfill(opts.metadata);
      if (backfilled > 0)
        notices.push(`queued for scanning: ${backfilled} stored manifests not scanned before`);
    } catch (err) {
      logger.warn('cannot queue the stored manifests not scanned before', { error: errorMessage(err) });
    }
  }
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    // Stop listening and drain first: a push answered during the drain still queues its scan,
    // which the next start resumes if the worker closes before reaching it.
    await server.close();
    // Running scans are aborted, not awaited: they stay queued in registry.db for the next start.
    await worker?.close({ abort: true });
  };
  return {
    url: server.url,
    server,
    worker,
    notices,
    reloadPolicy(next) {
      gates = gatesOf(next);
      policy = next;
      return describeGates(next, worker !== undefined);
    },
    close: () => (closing ??= close()),
  };
}

/** The scan-on-push worker, when scanning is on and the vulnerability database exists. */
function openScanWorker(
  opts: RegistryRuntimeOptions,
  blobs: FilesystemBlobStore,
  logger: Logger,
  notices: string[],
): ScanWorker | undefined {
  const scan = opts.policy?.server?.scan;
  if (scan?.onPush === false) {
    notices.push('scan-on-push is off (server.scan.onPush: false)');
    return undefined;
  }
  const vulnDbPath = opts.vulnerabilityDb ?? defaultDbPath();
  if (!existsSync(vulnDbPath)) {
    notices.push(
      `no vulnerability database at ${vulnDbPath}: pushed images are not scanned ` +
        '(portcullis db update fetches one; restart serve afterwards)',
    );
    return undefined;
  }
  const concurrency = scan?.concurrency ?? 2;
  notices.push(`scanning pushed images against ${vulnDbPath} (${concurrency} at once)`);
  return new ScanWorker({
    db: opts.db,
    blobs,
    vulnDbPath,
    concurrency,
    checkIntervalMs: opts.dbCheckIntervalMs ?? DB_CHECK_INTERVAL_MS,
    logger,
  });
}

/** One line on the pull gates a policy puts in force. */
function describeGates(policy: Policy | undefined, scanning: boolean): string {
  const projects = policy?.server?.projects ?? [];
  if (projects.length === 0) return 'no pull gates or immutable tags (no server.projects in a --config file)';
  const names = projects.map((p) => p.name).join(', ');
  const line = `pull gates and immutable tags for projects ${names.slice(0, 200)}`;
  const vulnerabilityRules = new Set(
    (policy?.rules ?? []).filter((r) => r.kind === 'vulnerabilities').map((r) => r.name),
  );
  const judgesScans = projects.some((p) => p.pull?.rules.some((r) => vulnerabilityRules.has(r)) === true);
  // Such a rule meets images that are never scanned: its onError decides (deny by default).
  return judgesScans && !scanning
    ? `${line}; images pushed now are not scanned, so vulnerabilities rules judge them by their onError`
    : line;
}

/** How often the worker checks whether `portcullis db update` replaced the database. */
const DB_CHECK_INTERVAL_MS = 60_000;

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
