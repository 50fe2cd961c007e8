import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { silentLogger, truncateForMessage, type Logger } from '../../core/index.js';
import { DOCKER_HUB_REGISTRY } from '../../imageref/index.js';
import { OciError } from '../errors.js';

/** What a registry login needs: a password, or an OAuth2 refresh token (Docker's "identitytoken"). */
export type Credential =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'identityToken'; readonly username: string; readonly token: string };

/** Finds the credential for a registry (`docker.io`, `ghcr.io`, `localhost:5000`). */
export interface CredentialStore {
  get(registry: string): Promise<Credential | undefined>;
}

/** A store that can also say where its answer for a registry came from, for error messages. */
export type DescribedCredentialStore = CredentialStore & {
  /** The source of the last answer for `registry`, e.g. `Docker config /root/.docker/config.json (credHelpers: docker-credential-gcr)`. */
  describe(registry: string): string;
};

export type DockerConfigCredentialStoreOptions = {
  /** Directory holding config.json; defaults to $DOCKER_CONFIG, then ~/.docker. */
  readonly configDir?: string;
  /** Environment for locating the config and for running helpers (PATH); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** How long a credential helper may run before it is killed. */
  readonly helperTimeoutMs?: number;
};

// Docker keeps Docker Hub credentials under the v1 index URL and hands that URL to helpers.
const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB_REGISTRY, 'index.docker.io', 'registry-1.docker.io']);
// docker-credential-helpers' credentials.errCredentialsNotFoundMessage, which helpers print on stdout.
const NOT_FOUND_RE = /credentials not found/i;
// What docker-credential-helpers' client sends as username when the secret is an identity token.
const TOKEN_USERNAME = '<token>';
const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_HELPER_STDOUT_BYTES = 1024 * 1024;
const MAX_HELPER_STDERR_KEPT = 4096;
const MAX_STDIN_PASSWORD_BYTES = 64 * 1024;
const DEFAULT_HELPER_TIMEOUT_MS = 30_000;

// Docker writes `null` for absent values in places; accept it as absent.
const authEntrySchema = z
  .object({
    auth: z.string().nullish(),
    username: z.string().nullish(),
    password: z.string().nullish(),
    identitytoken: z.string().nullish(),
  })
  .loose();

const dockerConfigSchema = z
  .object({
    auths: z.record(z.string(), authEntrySchema.nullish()).nullish(),
    credsStore: z.string().nullish(),
    credHelpers: z.record(z.string(), z.string()).nullish(),
  })
  .loose();

type DockerConfig = z.infer<typeof dockerConfigSchema>;
type AuthEntry = z.infer<typeof authEntrySchema>;

const helperOutputSchema = z.object({
  ServerURL: z.string().optional(),
  Username: z.string(),
  Secret: z.string(),
});

/**
 * The host[:port] a config key or registry name stands for: scheme and path dropped
 * (`https://host:5000/v2/` → `host:5000`), lower-cased, Docker Hub's aliases folded into
 * `docker.io`. Docker's credentials.ConvertToHostname does the same, minus the folding.
 */
function registryKey(value: string): string {
  const withoutScheme = value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = withoutScheme.indexOf('/');
  const host = (slash < 0 ? withoutScheme : withoutScheme.slice(0, slash)).toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_REGISTRY : host;
}

/**
 * The entry for a registry in a map keyed by URLs or hosts. The key Docker itself would use
 * wins (the v1 index URL for Docker Hub, the registry as given otherwise); then the first key
 * that normalizes to the same host.
 */
function lookup<T>(
  map: Readonly<Record<string, T>> | undefined,
  registry: string,
  key: string,
): [string, T] | undefined {
  if (map === undefined) return undefined;
  const preferred = key === DOCKER_HUB_REGISTRY ? [DOCKER_HUB_SERVER_URL, registry] : [registry, key];
  for (const k of preferred) {
    const v = Object.hasOwn(map, k) ? map[k] : undefined;
    if (v !== undefined) return [k, v];
  }
  for (const [k, v] of Object.entries(map)) {
    if (registryKey(k) === key) return [k, v];
  }
  return undefined;
}

function invalid(file: string, why: string): OciError {
  return new OciError('CREDENTIALS_INVALID', `Docker config ${file}: ${why}`);
}

async function readBounded(file: string): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw invalid(file, `cannot be read (${code ?? 'unknown error'})`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_CONFIG_BYTES) throw invalid(file, `is larger than ${MAX_CONFIG_BYTES} bytes`);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof OciError) throw err;
    throw invalid(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  } finally {
    await fh.close();
  }
}

/**
 * Reads and validates config.json. A missing file means no credentials. The file holds
 * secrets, so errors say where the problem is (position, key) and never quote content:
 * V8's JSON.parse messages do quote it, which is why they are not passed on.
 */
async function loadDockerConfig(file: string): Promise<DockerConfig | undefined> {
  const bytes = await readBounded(file);
  if (bytes === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw invalid(file, `is not valid JSON${position !== undefined ? ` (near byte ${position})` : ''}`);
  }
  const parsed = dockerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`)
      .join('; ');
    throw invalid(file, `has an unexpected shape: ${truncateForMessage(where, 300)}`);
  }
  return parsed.data;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Turns an `auths` entry into a credential; Docker's configfile.decodeAuth rules. */
function credentialFromAuthEntry(file: string, key: string, entry: AuthEntry): Credential | undefined {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  const auth = entry.auth ?? '';
  if (auth !== '') {
    if (!BASE64_RE.test(auth))
      throw invalid(file, `auths["${truncateForMessage(key, 80)}"].auth is not base64`);
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw invalid(
        file,
        `auths["${truncateForMessage(key, 80)}"].auth does not decode to username:password`,
      );
    username = decoded.slice(0, colon);
    // Docker trims NUL padding that some writers leave after the password.
    password = decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '');
  }
  const token = entry.identitytoken ?? '';
  if (token !== '') return { kind: 'identityToken', username, token };
  if (username === '' && password === '') return undefined;
  return { kind: 'basic', username, password };
}

/** Collects what a helper wrote that looks like a secret, so no message ever repeats it. */
function secretsIn(stdout: string): string[] {
  const found: string[] = [];
  try {
    const parsed = helperOutputSchema.partial().safeParse(JSON.parse(stdout));
    if (parsed.success && parsed.data.Secret) found.push(parsed.data.Secret);
  } catch {
    // not JSON: fall through to the pattern below
  }
  for (const m of stdout.matchAll(/"secret"\s*:\s*"((?:[^"\\]|\\.)*)"/gi)) {
    if (m[1]) found.push(m[1]);
  }
  return found;
}

/**
 * The first line of a failed helper's stderr, or nothing when it might hold a credential.
 * stdout is never shown: that is where helpers print secrets.
 */
function safeStderrExcerpt(stderr: string, stdout: string): string {
  const line = stderr.trim().split('\n')[0]?.trim() ?? '';
  if (line === '') return '';
  const secrets = secretsIn(stdout);
  if (/"secret"\s*:/i.test(stderr) || secrets.some((s) => stderr.includes(s))) return '';
  return `: ${truncateForMessage(line, 200)}`;
}

type HelperRun = {
  readonly code: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
};

function helperFailed(program: string, serverUrl: string, why: string): OciError {
  return new OciError(
    'CREDENTIAL_HELPER_FAILED',
    `credential helper ${program} failed for ${serverUrl}: ${why}`,
  );
}

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin, as Docker does. Nothing but
 * `get` goes on the command line; output is bounded and the run is killed after `timeoutMs`.
 */
function runHelper(
  program: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<HelperRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const timer = setTimeout(() => {
      stop(helperFailed(program, serverUrl, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const stop = (err: OciError): void => {
      finish(() => {
        child.kill('SIGKILL');
        // A grandchild may still hold the pipes open; stop listening rather than wait for it.
        child.stdout.destroy();
        child.stderr.destroy();
        reject(err);
      });
    };

    const out: Buffer[] = [];
    let outBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_HELPER_STDOUT_BYTES) {
        stop(helperFailed(program, serverUrl, `wrote more than ${MAX_HELPER_STDOUT_BYTES} bytes`));
        return;
      }
      out.push(chunk);
    });
    let err = Buffer.alloc(0);
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < MAX_HELPER_STDERR_KEPT)
        err = Buffer.concat([err, chunk]).subarray(0, MAX_HELPER_STDERR_KEPT);
    });
    // A helper that exits without reading stdin makes our write fail with EPIPE; its exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ENOENT'
          ? 'it is not installed (not found on PATH)'
          : `it could not be started (${e.code ?? e.message})`;
      finish(() => {
        reject(helperFailed(program, serverUrl, why));
      });
    });
    child.on('close', (code, signal) => {
      finish(() => {
        resolve({
          code: code ?? undefined,
          signal: signal ?? undefined,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: err.toString('utf8'),
        });
      });
    });
    child.stdin.end(serverUrl);
  });
}

async function credentialFromHelper(
  name: string,
  registry: string,
  file: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Credential | undefined> {
  if (!HELPER_NAME_RE.test(name)) {
    throw invalid(
      file,
      `credential helper name "${truncateForMessage(name, 80)}" is not a plain program suffix`,
    );
  }
  const program = `docker-credential-${name}`;
  const serverUrl = registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_SERVER_URL : registry;
  const run = await runHelper(program, serverUrl, env, timeoutMs);
  if (run.code !== 0) {
    if (NOT_FOUND_RE.test(run.stdout) || NOT_FOUND_RE.test(run.stderr)) return undefined;
    const status = run.code !== undefined ? `exit code ${run.code}` : `killed by ${run.signal ?? 'a signal'}`;
    throw helperFailed(program, serverUrl, `${status}${safeStderrExcerpt(run.stderr, run.stdout)}`);
  }
  let parsed: z.infer<typeof helperOutputSchema> | undefined;
  try {
    const result = helperOutputSchema.safeParse(JSON.parse(run.stdout));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) {
    throw helperFailed(
      program,
      serverUrl,
      'its output is not the expected {"ServerURL","Username","Secret"} JSON',
    );
  }
  if (parsed.Secret === '') return undefined;
  if (parsed.Username === TOKEN_USERNAME)
    return { kind: 'identityToken', username: '', token: parsed.Secret };
  return { kind: 'basic', username: parsed.Username, password: parsed.Secret };
}

function defaultConfigDir(env: NodeJS.ProcessEnv): string {
  const explicit = env['DOCKER_CONFIG'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const home = env['HOME'];
  return path.join(home !== undefined && home !== '' ? home : os.homedir(), '.docker');
}

/**
 * Credentials as the Docker CLI finds them in config.json: `credHelpers[registry]`, else
 * `credsStore`, else `auths`. When a helper is chosen its answer is final, as in Docker: a
 * helper that has no entry means anonymous access, not a fall-back to `auths`. The file is read
 * once per store; helper answers are remembered for the store's lifetime.
 *
 * `get` throws OciError CREDENTIALS_INVALID for an unreadable or malformed config (naming the
 * file, never quoting it) and CREDENTIAL_HELPER_FAILED when a helper is missing, times out,
 * fails or answers garbage (naming the helper and exit code, never its output).
 */
export function createDockerConfigCredentialStore(
  options: DockerConfigCredentialStoreOptions = {},
): DescribedCredentialStore {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const file = path.join(options.configDir ?? defaultConfigDir(env), 'config.json');
  let config: Promise<DockerConfig | undefined> | undefined;
  const fromHelpers = new Map<string, Promise<Credential | undefined>>();
  const sources = new Map<string, string>();

  const viaHelper = (name: string, key: string): Promise<Credential | undefined> => {
    const cacheKey = `${name}\n${key}`;
    let pending = fromHelpers.get(cacheKey);
    if (pending === undefined) {
      pending = credentialFromHelper(name, key, file, env, timeoutMs);
      fromHelpers.set(cacheKey, pending);
      // Failures are not remembered: the next call runs the helper again.
      pending.catch(() => fromHelpers.delete(cacheKey));
    }
    return pending;
  };

  return {
    describe(registry: string): string {
      return sources.get(registryKey(registry)) ?? `Docker config ${file}`;
    },
    async get(registry: string): Promise<Credential | undefined> {
      config ??= loadDockerConfig(file);
      const cfg = await config;
      const key = registryKey(registry);
      if (cfg === undefined) {
        logger.debug('no Docker config file; using anonymous access', { registry: key, file });
        return undefined;
      }
      const helper = lookup(cfg.credHelpers ?? undefined, registry, key);
      if (helper !== undefined) {
        logger.debug('asking the registry credential helper', {
          registry: key,
          helper: helper[1],
          source: 'credHelpers',
        });
        sources.set(key, `Docker config ${file} (credHelpers: docker-credential-${helper[1]})`);
        return viaHelper(helper[1], key);
      }
      const store = cfg.credsStore ?? '';
      if (store !== '') {
        logger.debug('asking the credential store', { registry: key, helper: store, source: 'credsStore' });
        sources.set(key, `Docker config ${file} (credsStore: docker-credential-${store})`);
        return viaHelper(store, key);
      }
      const entry = lookup(cfg.auths ?? undefined, registry, key);
      sources.set(
        key,
        `Docker config ${file} (auths${entry ? `["${truncateForMessage(entry[0], 80)}"]` : ''})`,
      );
      const credential = entry?.[1] ? credentialFromAuthEntry(file, entry[0], entry[1]) : undefined;
      logger.debug(credential ? 'using credentials from the Docker config' : 'no credentials for registry', {
        registry: key,
        source: 'auths',
        ...(credential ? { kind: credential.kind } : {}),
      });
      return credential;
    },
  };
}

/**
 * A store that answers `credential` for one registry (Docker Hub aliases and URL forms match
 * too) and asks `fallback`, if any, for every other.
 */
export function createStaticCredentialStore(
  registry: string,
  credential: Credential,
  fallback?: CredentialStore,
): DescribedCredentialStore {
  const key = registryKey(registry);
  return {
    describe(other: string): string {
      if (registryKey(other) === key) return `the credentials supplied for ${key}`;
      const inner = fallback as Partial<DescribedCredentialStore> | undefined;
      return typeof inner?.describe === 'function' ? inner.describe(other) : 'the fallback credential store';
    },
    async get(other: string): Promise<Credential | undefined> {
      if (registryKey(other) === key) return credential;
      return fallback ? fallback.get(other) : undefined;
    },
  };
}

/**
 * Reads a password for `--password-stdin`: everything on the stream, minus one trailing
 * newline (`\n` or `\r\n`), as `docker login` does.
 *
 * @throws OciError CREDENTIALS_INVALID when the result is empty or longer than 64 KiB.
 */
export async function readPasswordFromStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    total += bytes.length;
    if (total > MAX_STDIN_PASSWORD_BYTES) {
      throw new OciError(
        'CREDENTIALS_INVALID',
        `the password on stdin is longer than ${MAX_STDIN_PASSWORD_BYTES} bytes`,
      );
    }
    chunks.push(bytes);
  }
  let password = Buffer.concat(chunks).toString('utf8');
  if (password.endsWith('\n')) password = password.slice(0, -1);
  if (password.endsWith('\r')) password = password.slice(0, -1);
  if (password === '')
    throw new OciError(
      'CREDENTIALS_INVALID',
      'no password on stdin: expected the password or token to be piped in',
    );
  return password;
}
