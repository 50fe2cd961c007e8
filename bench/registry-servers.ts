// The registries the registry entries compare, each in its own process so that none shares the
// bench runner's event loop or the load generator's, started once per run and kept warm:
// - distribution: Debian's docker-registry 2.8 (startRegistry) with htpasswd (bcrypt) Basic auth,
//   the only authentication it has without an external token server; and, for the record, one
//   without authentication;
// - ours: `portcullis serve` from the bench build, with a project and a maintainer made through
//   `portcullis project|user` as an operator would; clients follow its Bearer challenge to
//   /token, as skopeo and docker do.
// Passwords reach the processes through stdin or the environment and clients through 0600 files,
// never argv.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { layoutDescriptor, readLayoutBlob } from '../src/testing/oci-images.js';
import { startRegistry } from '../src/testing/registry.js';
import { runSubject, type Sample } from './harness.js';

/** A registry started for the bench, with one user who may pull, push and delete under `bench/`. */
export type BenchRegistry = {
  readonly label: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** A Docker config.json (0600) holding the user's credentials, for skopeo's --authfile. */
  readonly authFile: string;
  /**
   * The Authorization header a client sends for `action` on `repository` after the registry's
   * challenge: Basic for distribution, a Bearer token from /token for ours (fetched anew: tokens
   * are short-lived); undefined for a registry without authentication.
   */
  authorization(repository: string, action: 'pull' | 'delete'): Promise<string | undefined>;
  /** What the server printed (errors only), for a failure message. */
  output(): string;
  stop(): Promise<void>;
};

/** The image the registry entries push, pull and HEAD: a tag of an OCI layout. */
export type BenchImage = { readonly layout: string; readonly tag: string; readonly digest: string };

async function writeDockerConfig(file: string, host: string, user: string, password: string): Promise<void> {
  const auth = Buffer.from(`${user}:${password}`).toString('base64');
  await writeFile(file, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
}

/** Debian's docker-registry on a free loopback port, with htpasswd Basic auth or none. */
export async function startDistribution(
  scratch: string,
  auth: 'htpasswd' | 'none' = 'htpasswd',
): Promise<BenchRegistry> {
  const reg = await startRegistry({ auth });
  const user = reg.username ?? '';
  const password = reg.password ?? '';
  const authFile = path.join(scratch, `distribution-auth-${randomBytes(4).toString('hex')}.json`);
  await writeDockerConfig(authFile, reg.host, user, password);
  const basic =
    auth === 'none' ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return {
    label: auth === 'none' ? 'distribution without auth' : 'distribution',
    host: reg.host,
    url: reg.url,
    authFile,
    authorization: () => Promise.resolve(basic),
    output: () => reg.output(),
    async stop() {
      await reg.stop();
      await rm(authFile, { force: true });
    },
  };
}

/** Runs `node cliMain args…` to completion with `stdin`; rejects with its stderr. */
function runCli(
  cliMain: string,
  args: readonly string[],
  stdin: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], { stdio: ['pipe', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `portcullis ${args.slice(0, 3).join(' ')} exited with ${code}: ${err.trim().slice(0, 1000)}`,
          ),
        );
    });
    child.stdin.end(stdin);
  });
}

// Servers still running when the runner exits (an entry threw before the registries were
// closed) are killed and their data removed, so that no orphan outlives the run.
const serving = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dir] of serving) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * `portcullis serve` (the bench build's CLI) on a free loopback port with a fresh data
 * directory, a project `bench` and a user `bench` who is its maintainer.
 */
export async function startPortcullisServe(cliMain: string, scratch: string): Promise<BenchRegistry> {
  const dir = await mkdtemp(path.join(scratch, 'portcullis-serve-'));
  const dataDir = path.join(dir, 'data');
  const password = `b-${randomBytes(12).toString('base64url')}`;
  const env = { ...process.env, PORTCULLIS_ADMIN_PASSWORD: `a-${randomBytes(12).toString('base64url')}` };
  let output = '';
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const c = child;
    if (c !== undefined && typeof c.exitCode !== 'number' && typeof c.signalCode !== 'string') {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
    }
    if (c !== undefined) serving.delete(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const proc = spawn(
      process.execPath,
      [cliMain, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env,
      },
    );
    child = proc;
    serving.set(proc, dir);
    const url = await new Promise<string>((resolve, reject) => {
      proc.stderr.on('data', (b: Buffer) => {
        if (output.length < 64 * 1024) output += b.toString('utf8');
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      proc.once('exit', (code) => {
        reject(new Error(`portcullis serve exited with ${code} before listening: ${output.slice(0, 2000)}`));
      });
    });
    const host = new URL(url).host;
    const cli = (args: string[], stdin = ''): Promise<void> =>
      runCli(cliMain, [...args, '--data-dir', dataDir], stdin, env);
    await cli(['project', 'add', 'bench']);
    await cli(['user', 'add', 'bench', '--password-stdin'], `${password}\n`);
    await cli(['project', 'member', 'add', 'bench', 'bench', 'maintainer']);
    const authFile = path.join(dir, 'auth.json');
    await writeDockerConfig(authFile, host, 'bench', password);
    const basic = `Basic ${Buffer.from(`bench:${password}`).toString('base64')}`;
    return {
      label: 'portcullis serve',
      host,
      url,
      authFile,
      async authorization(repository, action) {
        const scope = encodeURIComponent(`repository:${repository}:${action}`);
        const res = await fetch(`${url}/token?service=portcullis&scope=${scope}`, {
          headers: { authorization: basic },
        });
        if (res.status !== 200) throw new Error(`portcullis /token answered ${res.status}`);
        return `Bearer ${((await res.json()) as { token: string }).token}`;
      },
      output: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs a command (no secret in its arguments) and times it from spawn to exit. */
function timeCommand(cmd: string, args: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(Number(process.hrtime.bigint() - start) / 1e6);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${err.trim().slice(0, 1000)}`));
    });
  });
}

/** `skopeo copy -q` between an OCI layout and a registry, over plain HTTP; the time it took. */
function skopeoCopy(reg: BenchRegistry, from: string, to: string): Promise<number> {
  const push = to.startsWith('docker://');
  return timeCommand('skopeo', [
    'copy',
    '-q',
    push ? '--dest-tls-verify=false' : '--src-tls-verify=false',
    push ? '--dest-authfile' : '--authfile',
    reg.authFile,
    from,
    to,
  ]);
}

/** The config and layer digests of the image's manifest. */
async function blobsOf(image: BenchImage): Promise<string[]> {
  const manifest = JSON.parse((await readLayoutBlob(image.layout, image.digest)).toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  return [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
}

/**
 * Makes the registry forget that `repository` holds the image's blobs (a DELETE of each blob
 * link). skopeo's blob-info cache remembers where it pushed them (by registry and repository)
 * and would mount them from there into the next round's repository; this way every round's push
 * is a whole upload. The bytes stay in both registries' stores, as they would.
 */
async function forgetBlobs(reg: BenchRegistry, repository: string, image: BenchImage): Promise<void> {
  const authorization = await reg.authorization(repository, 'delete');
  for (const digest of await blobsOf(image)) {
    const res = await fetch(`${reg.url}/v2/${repository}/blobs/${digest}`, {
      method: 'DELETE',
      headers: authorization === undefined ? {} : { authorization },
    });
    if (res.status !== 202) throw new Error(`${reg.label}: DELETE of blob ${digest} answered ${res.status}`);
  }
}

let rounds = 0;

/**
 * One round of the push-and-pull entry against a running (warm) registry: `skopeo copy` of the
 * image into a repository of its own, then back into a fresh OCI layout, each timed from spawn
 * to exit. Fails when the pulled manifest's digest is not the pushed one.
 */
export async function timePushPull(reg: BenchRegistry, image: BenchImage, scratch: string): Promise<Sample> {
  const repository = `bench/round-${++rounds}`;
  const remote = `docker://${reg.host}/${repository}:${image.tag}`;
  const out = await mkdtemp(path.join(scratch, 'pulled-'));
  try {
    const pushMs = await skopeoCopy(reg, `oci:${image.layout}:${image.tag}`, remote);
    const pullMs = await skopeoCopy(reg, remote, `oci:${out}:${image.tag}`);
    const pulled = (await layoutDescriptor(out, image.tag)).digest;
    if (pulled !== image.digest) throw new Error(`pulled ${pulled}, pushed ${image.digest}`);
    await forgetBlobs(reg, repository, image);
    return { ms: pushMs + pullMs, maxRssMB: undefined, detail: { pushMs, pullMs } };
  } catch (err) {
    throw new Error(
      `${reg.label} push/pull failed: ${String(err)}; server output: ${reg.output().slice(0, 2000)}`,
      {
        cause: err,
      },
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Media types a pulling client accepts, as skopeo sends them. */
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/**
 * One autocannon run (registry.subject.ts) of manifest HEADs on `bench/debian:TAG`, with the
 * registry's own way of authenticating; the headers go to the subject through a 0600 file.
 */
export async function manifestHeadLoad(
  reg: BenchRegistry,
  tag: string,
  load: {
    readonly subject: string;
    readonly rate: number;
    readonly seconds: number;
    readonly connections: number;
  },
  scratch: string,
): Promise<Sample> {
  const headersFile = path.join(scratch, `head-headers-${randomBytes(4).toString('hex')}.json`);
  const authorization = await reg.authorization('bench/debian', 'pull');
  await writeFile(
    headersFile,
    JSON.stringify({ accept: ACCEPT, ...(authorization === undefined ? {} : { authorization }) }),
    { mode: 0o600 },
  );
  try {
    return await runSubject(load.subject, [
      `${reg.url}/v2/bench/debian/manifests/${tag}`,
      headersFile,
      String(load.rate),
      String(load.seconds),
      String(load.connections),
    ]);
  } finally {
    await rm(headersFile, { force: true });
  }
}

/** The registries one registry entry compares. */
export type BenchRegistries = {
  readonly distribution: BenchRegistry;
  /** Started only when asked for. */
  readonly distributionNoAuth: BenchRegistry | undefined;
  readonly ours: BenchRegistry;
  close(): Promise<void>;
};

/**
 * Starts distribution and ours (and distribution without authentication when asked) and, with
 * `seed`, pushes the image into each at `bench/debian:TAG` with skopeo (untimed). The push-and-pull
 * entry gets registries of its own, never seeded: skopeo would mount the seeded blobs into every
 * round's repository instead of uploading them.
 */
export async function startBenchRegistries(
  cliMain: string,
  scratch: string,
  opts: { readonly seed?: BenchImage; readonly withoutAuth?: boolean } = {},
): Promise<BenchRegistries> {
  const started: BenchRegistry[] = [];
  const close = async (): Promise<void> => {
    for (const r of started) await r.stop();
  };
  const start = async (reg: Promise<BenchRegistry>): Promise<BenchRegistry> => {
    const r = await reg;
    started.push(r);
    return r;
  };
  try {
    const distribution = await start(startDistribution(scratch));
    const distributionNoAuth =
      opts.withoutAuth === true ? await start(startDistribution(scratch, 'none')) : undefined;
    const ours = await start(startPortcullisServe(cliMain, scratch));
    const seed = opts.seed;
    if (seed !== undefined) {
      for (const reg of started)
        await skopeoCopy(
          reg,
          `oci:${seed.layout}:${seed.tag}`,
          `docker://${reg.host}/bench/debian:${seed.tag}`,
        );
    }
    return { distribution, distributionNoAuth, ours, close };
  } catch (err) {
    await close();
    throw err;
  }
}
