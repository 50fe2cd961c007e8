import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Gauge, type Registry } from 'prom-client';
import { errorMessage, type Logger } from '../../core/index.js';
import { createDockerConfigCredentialStore, RegistryClient } from '../../oci/index.js';
import { parsePolicy, POLICY_FILE_NAME, type Policy } from '../../policy/index.js';
import { createRegistryFactSource, type RegistryFactSource } from '../../server/index.js';
import { defaultDbPath, openVulnDb, type VulnDb } from '../../vulndb/index.js';
import { DEFAULT_DEADLINE_MS, startAdmissionServer, type AdmissionServer } from '../../webhook/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { readTrustedRoot } from '../trusted-root.js';

export const admissionServeHelp = `Usage: portcullis admission serve --tls-cert FILE --tls-key FILE [--policy FILE]
                                  [--listen HOST:PORT] [--deadline-ms N] [--db PATH]
                                  [--trusted-root FILE] [--insecure] [options]

Runs the admission webhook over HTTPS: POST /validate judges Pods and workload pod templates
by the policy's rules; POST /mutate pins image tags to digests; GET /healthz, /readyz and
/metrics (Prometheus). Facts about images (digests, signatures, scans, image users) come from
their registries, with credentials from Docker's config.json ($DOCKER_CONFIG), cached, and
bounded by --deadline-ms: what is not known by then follows each rule's onError. Logs are JSON
lines on stdout, one per decision, never with the object's contents.

The policy and certificate files are read again every --reload-seconds when they change (a
ConfigMap or Secret update): a policy that does not validate is refused, logged, and the one
in force stays. SIGTERM or SIGINT drains: readiness turns 503, in-flight requests finish.

Options:
  --tls-cert FILE           serving certificate chain, PEM (required: HTTPS only)
  --tls-key FILE            its private key, PEM (required)
  --policy FILE             the policy file (default ./${POLICY_FILE_NAME})
  --listen HOST:PORT        address to listen on (default 127.0.0.1:8443; 0.0.0.0:8443 in a pod)
  --deadline-ms N           time for registry lookups per request, below the webhook's
                            timeoutSeconds (default ${DEFAULT_DEADLINE_MS})
  --db PATH                 vulnerability database (default $PORTCULLIS_DB or the cache); when it
                            is missing, vulnerabilities rules follow their onError
  --trusted-root FILE       Sigstore trusted root JSON, for keyless requireSignature rules
  --insecure                allow plain HTTP and unverified TLS for non-loopback registries
  --reload-seconds N        how often to look for changed policy and certificate files
                            (default 10; 0: never)
  --drain-ms N              after SIGTERM, keep answering this long while readiness is 503, so
                            the Service stops routing here first (default 0; the manifests set it)
  --log-level LEVEL         fatal, error, warn, info or debug (default info)

Exit codes: 0 stopped by a signal after draining, 2 invalid option, policy or certificate,
3 a file not found, 7 cannot listen.`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug'] as const;

/**
 * `HOST:PORT` or `[IPv6]:PORT`.
 * @throws UsageError for anything else.
 */
export function parseListenAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`--listen expects HOST:PORT or [IPV6]:PORT, got "${value.slice(0, 80)}"`);
  }
  return { host, port };
}

function parseCount(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > max) {
    throw new UsageError(`--${flag} expects a whole number from 0 to ${max}, got "${value.slice(0, 40)}"`);
  }
  return n;
}

type Files = { readonly policy: string; readonly cert: string; readonly key: string };
type Loaded = { readonly policy: Policy; readonly certPem: string; readonly keyPem: string };

const fingerprint = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

async function readFiles(files: Files): Promise<{ policyText: string; certPem: string; keyPem: string }> {
  const [policyText, certPem, keyPem] = await Promise.all([
    readFile(files.policy, 'utf8'),
    readFile(files.cert, 'utf8'),
    readFile(files.key, 'utf8'),
  ]);
  return { policyText, certPem, keyPem };
}

/** Collectors for the fact source's caches, on the webhook's own /metrics registry. */
function factSourceMetrics(source: RegistryFactSource): (registry: Registry) => void {
  return (registry) => {
    new Gauge({
      name: 'portcullis_admission_cache_lookups',
      help: 'Fact cache lookups since start, by cache and outcome (hit, miss, coalesced).',
      labelNames: ['cache', 'outcome'],
      registers: [registry],
      collect() {
        const s = source.stats();
        for (const cache of ['digest', 'config', 'scan'] as const) {
          this.set({ cache, outcome: 'hit' }, s[cache].hits);
          this.set({ cache, outcome: 'miss' }, s[cache].misses);
        }
        this.set({ cache: 'signature', outcome: 'hit' }, s.signature.hits);
        this.set({ cache: 'signature', outcome: 'miss' }, s.signature.misses);
        this.set({ cache: 'signature', outcome: 'coalesced' }, s.signature.coalesced);
      },
    });
    new Gauge({
      name: 'portcullis_admission_lookup_errors',
      help: 'Facts that ended as errors since start (registry failures and deadlines), by kind.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        const s = source.stats();
        for (const [kind, n] of Object.entries(s.lookupErrors)) this.set({ kind }, n);
      },
    });
  };
}

/**
 * `portcullis admission serve`: the HTTPS webhook with registry-backed facts, until the stop
 * signal (SIGTERM/SIGINT) drains it.
 */
export async function runAdmissionServe(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      policy: { type: 'string' },
      listen: { type: 'string', default: '127.0.0.1:8443' },
      'deadline-ms': { type: 'string' },
      db: { type: 'string' },
      'trusted-root': { type: 'string' },
      insecure: { type: 'boolean', default: false },
      'reload-seconds': { type: 'string' },
      'drain-ms': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, admissionServeHelp);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    throw new UsageError(`admission serve takes no arguments, got "${positionals[0]?.slice(0, 40) ?? ''}"`);
  }
  if (values['tls-cert'] === undefined || values['tls-key'] === undefined) {
    throw new UsageError('admission serve needs --tls-cert FILE and --tls-key FILE: it serves HTTPS only');
  }
  const level = values['log-level'];
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level expects one of ${LOG_LEVELS.join(', ')}, got "${level.slice(0, 20)}"`);
  }
  const listen = parseListenAddress(values.listen);
  const deadlineMs = parseCount('deadline-ms', values['deadline-ms'], DEFAULT_DEADLINE_MS, 29_000);
  const reloadSeconds = parseCount('reload-seconds', values['reload-seconds'], 10, 86_400);
  const drainMs = parseCount('drain-ms', values['drain-ms'], 0, 60_000);
  const files: Files = {
    policy: path.resolve(io.cwd, values.policy ?? POLICY_FILE_NAME),
    cert: path.resolve(io.cwd, values['tls-cert']),
    key: path.resolve(io.cwd, values['tls-key']),
  };
  if (values.policy === undefined && !existsSync(files.policy)) {
    throw new UsageError(`no ${POLICY_FILE_NAME} in ${io.cwd}; pass --policy FILE`);
  }

  // Taken before anything starts: a SIGTERM that arrives right after the listening line must
  // drain, not kill.
  const stop = io.stopSignal?.();
  const first = await readFiles(files);
  let loaded: Loaded = {
    policy: parsePolicy(first.policyText, files.policy),
    certPem: first.certPem,
    keyPem: first.keyPem,
  };
  let loadedPrint = fingerprint(first.policyText, first.certPem, first.keyPem);
  let refusedPrint = '';

  const dbPath = values.db === undefined ? defaultDbPath(io.env) : path.resolve(io.cwd, values.db);
  let db: VulnDb | undefined;
  if (existsSync(dbPath)) {
    db = openVulnDb(dbPath, { readonly: true });
  } else {
    logger.warn(`no vulnerability database at ${dbPath}: vulnerabilities rules follow their onError`);
  }
  const trustedRoot =
    values['trusted-root'] === undefined
      ? undefined
      : await readTrustedRoot(path.resolve(io.cwd, values['trusted-root']));
  const client = new RegistryClient({
    credentials: createDockerConfigCredentialStore({ env: io.env, logger }),
    insecure: values.insecure,
    logger,
  });
  const facts = createRegistryFactSource({ client, vulnDb: db, trustedRoot, logger });

  let server: AdmissionServer | undefined;
  try {
    server = await startAdmissionServer({
      host: listen.host,
      port: listen.port,
      tls: { certPem: loaded.certPem, keyPem: loaded.keyPem },
      policy: () => loaded.policy,
      facts,
      deadlineMs,
      drainDelayMs: drainMs,
      logger: { level, stream: io.stdout },
      registerMetrics: factSourceMetrics(facts),
    });
    writeLine(io.stderr, `portcullis admission webhook listening on ${server.url}`);

    const running = server;
    const reload = async () => {
      let print = '';
      try {
        const next = await readFiles(files);
        print = fingerprint(next.policyText, next.certPem, next.keyPem);
        if (print === loadedPrint || print === refusedPrint) return;
        const policy = parsePolicy(next.policyText, files.policy);
        if (next.certPem !== loaded.certPem || next.keyPem !== loaded.keyPem) {
          running.updateTls({ certPem: next.certPem, keyPem: next.keyPem });
        }
        loaded = { policy, certPem: next.certPem, keyPem: next.keyPem };
        loadedPrint = print;
        logger.info('reloaded the policy and certificate files');
      } catch (err) {
        // Keep serving with what is in force: a bad edit must not open or close the gate. Said
        // once per distinct content, not on every look.
        refusedPrint = print;
        logger.warn(
          `kept the policy and certificate in force; the changed files were refused: ${errorMessage(err)}`,
        );
      }
    };
    const timer =
      reloadSeconds > 0
        ? setInterval(() => {
            void reload();
          }, reloadSeconds * 1000)
        : undefined;
    timer?.unref();

    await new Promise<void>((resolve) => {
      if (stop === undefined) return; // runs until the process ends
      if (stop.aborted) resolve();
      stop.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
    if (timer !== undefined) clearInterval(timer);
    writeLine(io.stderr, 'stopping: draining in-flight requests');
    return ExitCode.ok;
  } finally {
    await server?.close();
    await facts.close();
    client.close();
    db?.close();
  }
}
