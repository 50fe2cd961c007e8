import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTokenIssuer, type TokenIssuer, type TokenIssuerOptions } from './token-issuer.js';

export type TestRegistryAuth = 'none' | 'htpasswd' | 'token';

export type StartRegistryOptions = {
  readonly auth?: TestRegistryAuth;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 (made with openssl). */
  readonly tls?: boolean;
  /** Token mode: token lifetime in seconds. */
  readonly tokenTtlSeconds?: number;
  /** Token mode: refresh tokens (Docker identity tokens) accepted for the test user. */
  readonly refreshTokens?: readonly string[];
  /** Token mode: what each caller is granted (see TokenIssuerOptions.grant). */
  readonly grant?: TokenIssuerOptions['grant'];
};

export type TestRegistry = {
  /** `127.0.0.1:PORT`, the registry part of image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` (or https with `tls`). */
  readonly url: string;
  /** Storage root: blobs are at `docker/registry/v2/blobs/sha256/<xx>/<hex>/data`. */
  readonly dataDir: string;
  /** For `htpasswd` and `token` modes. */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Token mode: the issuer, with the requests it answered. */
  readonly tokenIssuer: TokenIssuer | undefined;
  /** With `tls`: the certificate the registry serves. */
  readonly certPath: string | undefined;
  /** Process id of docker-registry, for inspecting /proc/<pid>/cmdline. */
  readonly pid: number;
  /** Where the registry keeps a blob's bytes. */
  blobDataPath(digest: string): string;
  /** What the registry printed so far (log level warn). */
  output(): string;
  stop(): Promise<void>;
};

const SERVICE = 'portcullis-test-registry';
const ISSUER = 'portcullis-test-issuer';

function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Checks that a command from Debian's packages is installed; says what to install otherwise. */
export function requireCommand(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `${cmd} is not installed; install the Debian package ${pkg} (apt-get install -y ${pkg}), or run npm test, which does`,
    );
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

/** Bcrypt htpasswd line for a user; the password goes over stdin, never on a command line. */
async function htpasswdLine(user: string, password: string): Promise<string> {
  const out = await run('htpasswd', ['-niB', user], `${password}\n`);
  const line = out.split('\n').find((l) => l.startsWith(`${user}:`));
  if (line === undefined) throw new Error('htpasswd printed no entry');
  return `${line}\n`;
}

function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const u = new URL('/v2/', url);
    const onResponse = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode);
    };
    const req =
      u.protocol === 'https:'
        ? https.get(u, { rejectUnauthorized: false, agent: false }, onResponse)
        : http.get(u, { agent: false }, onResponse);
    req.on('error', () => {
      resolve(undefined);
    });
    req.setTimeout(1000, () => req.destroy());
  });
}

function hasExited(child: ChildProcess): boolean {
  // exitCode and signalCode are null, in Node's API, while the process runs.
  return typeof child.exitCode === 'number' || typeof child.signalCode === 'string';
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (hasExited(child)) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
}

// Registries still running when the test process exits (a crashed or timed-out suite that never
// reached afterAll) are killed and their files removed, so no orphan outlives the run.
const running = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Starts a real CNCF distribution registry (`docker-registry` 2.8 from Debian) on a free
 * loopback port with filesystem storage in a temporary directory and deletes enabled, and
 * waits until `/v2/` answers. `htpasswd` mode adds Basic auth with bcrypt entries; `token`
 * mode starts a token issuer and configures the registry to trust its certificate.
 * `stop()` ends the process and removes every file it used.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  requireCommand('docker-registry', 'docker-registry');
  const auth = opts.auth ?? 'none';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-registry-'));
  let child: ChildProcess | undefined;
  let issuer: TokenIssuer | undefined;
  const cleanup = async (): Promise<void> => {
    if (child !== undefined) {
      const c = child;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited(c);
      clearTimeout(timer);
      running.delete(c);
    }
    await issuer?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const dataDir = path.join(dir, 'data');
    const username = auth === 'none' ? undefined : 'tester';
    const password = auth === 'none' ? undefined : `pw-${randomBytes(12).toString('hex')}`;
    const lines = [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      'storage:',
      `  filesystem: { rootdirectory: ${JSON.stringify(dataDir)} }`,
      '  delete: { enabled: true }',
      'http:',
      `  addr: ${host}`,
    ];
    let certPath: string | undefined;
    if (opts.tls === true) {
      requireCommand('openssl', 'openssl');
      certPath = path.join(dir, 'tls-cert.pem');
      const keyPath = path.join(dir, 'tls-key.pem');
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]);
      lines.push(`  tls: { certificate: ${JSON.stringify(certPath)}, key: ${JSON.stringify(keyPath)} }`);
    }
    if (auth === 'htpasswd' && username !== undefined && password !== undefined) {
      requireCommand('htpasswd', 'apache2-utils');
      const file = path.join(dir, 'htpasswd');
      await writeFile(file, await htpasswdLine(username, password), { mode: 0o600 });
      lines.push('auth:', `  htpasswd: { realm: portcullis-test, path: ${JSON.stringify(file)} }`);
    } else if (auth === 'token' && username !== undefined && password !== undefined) {
      requireCommand('openssl', 'openssl');
      issuer = await startTokenIssuer({
        dir,
        service: SERVICE,
        issuer: ISSUER,
        users: { [username]: password },
        refreshTokens: Object.fromEntries((opts.refreshTokens ?? []).map((t) => [t, username])),
        ...(opts.tokenTtlSeconds !== undefined ? { ttlSeconds: opts.tokenTtlSeconds } : {}),
        ...(opts.grant !== undefined ? { grant: opts.grant } : {}),
      });
      lines.push(
        'auth:',
        '  token:',
        `    realm: ${JSON.stringify(issuer.realm)}`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${JSON.stringify(issuer.certPath)}`,
      );
    }
    const config = path.join(dir, 'config.yml');
    await writeFile(config, `${lines.join('\n')}\n`);

    let output = '';
    const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.set(proc, dir);
    const collect = (b: Buffer): void => {
      if (output.length < 256 * 1024) output += b.toString('utf8');
    };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
    const url = `${opts.tls === true ? 'https' : 'http'}://${host}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (hasExited(proc)) {
        throw new Error(`docker-registry exited before it answered: ${output.trim().slice(0, 2000)}`);
      }
      const status = await probe(url);
      if (status === 200 || status === 401) break;
      if (Date.now() > deadline)
        throw new Error(
          `docker-registry did not answer on ${url} within 20 s: ${output.trim().slice(0, 2000)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = proc.pid ?? -1;
    return {
      host,
      url,
      dataDir,
      username,
      password,
      tokenIssuer: issuer,
      certPath,
      pid,
      blobDataPath(digest: string): string {
        const hex = digest.slice(digest.indexOf(':') + 1);
        return path.join(
          dataDir,
          'docker',
          'registry',
          'v2',
          'blobs',
          digest.slice(0, digest.indexOf(':')),
          hex.slice(0, 2),
          hex,
          'data',
        );
      },
      output: () => output,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
