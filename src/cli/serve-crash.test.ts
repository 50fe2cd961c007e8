import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../core/index.js';
import { MediaType } from '../oci/index.js';
import type { GcReport } from '../registry/index.js';
import { runCommandCaptured } from '../testing/cli.js';
import { runProject } from './commands/project.js';
import { runRegistry } from './commands/registry.js';

// Crash safety (issue 9 acceptance): the real `portcullis serve` process is killed with SIGKILL
// in the middle of a chunked upload of a 200 MB layer and started again on the same data
// directory. No partial blob may ever be served, the client's retried push must succeed with
// the digest intact, `registry gc` must remove what the killed upload left, and registry.db must
// pass SQLite's integrity check.

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(srcDir, 'cli', 'main.ts');

const MiB = 1024 * 1024;
const LAYER_SIZE = 200 * MiB;
/** Bytes per PATCH request. */
const PATCH_SIZE = 50 * MiB;
const REPO = 'crash/big';

// The layer: an AES-CTR keystream, random-looking and reproducible, made one MiB at a time so
// that it is never held in memory whole (and a retried push can send it again).
const KEY = randomBytes(16);
const IV = randomBytes(16);
function* layerChunks(): Generator<Buffer> {
  const cipher = createCipheriv('aes-128-ctr', KEY, IV);
  const zeros = Buffer.alloc(MiB);
  for (let sent = 0; sent < LAYER_SIZE; sent += MiB) yield cipher.update(zeros);
}

let work: string;
let dataDir: string;
const adminPassword = `pw-${randomBytes(12).toString('base64url')}`;
const auth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
let server: { proc: ChildProcess; url: string; exited: Promise<unknown> } | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-serve-crash-'));
  dataDir = path.join(work, 'data');
  await writeTypeScriptLoader();
  const added = await runCommandCaptured(runProject, ['add', 'crash', '--data-dir', dataDir], { cwd: work });
  expect(added.code).toBe(0);
}, 120_000);

afterAll(async () => {
  // Killing an exited process is a no-op; the exit promise has settled then.
  if (server !== undefined) {
    server.proc.kill('SIGKILL');
    await server.exited;
  }
  await rm(work, { recursive: true, force: true });
});

/**
 * Node 20 cannot run TypeScript, and a build of dist/ takes long on a busy machine: the bin runs
 * from src/ through a module hook that strips types with the project's own TypeScript
 * (transpileModule, per file) and maps the sources' `.js` specifiers to their `.ts` files.
 */
async function writeTypeScriptLoader(): Promise<void> {
  const typescript = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
  const src = pathToFileURL(srcDir).href;
  await writeFile(
    path.join(work, 'ts-hooks.mjs'),
    `import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(typescript)};
const src = ${JSON.stringify(src)};
export async function resolve(specifier, context, next) {
  if (context.parentURL?.startsWith(src) && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    try {
      return await next(candidate.href, context);
    } catch {}
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith(src) || !url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`,
  );
  await writeFile(
    path.join(work, 'ts-register.mjs'),
    "import { register } from 'node:module';\nregister('./ts-hooks.mjs', import.meta.url);\n",
  );
}

/** Starts `portcullis serve` on the data directory and waits for its listening line. */
async function startServer(): Promise<{ proc: ChildProcess; url: string; exited: Promise<unknown> }> {
  const register = pathToFileURL(path.join(work, 'ts-register.mjs')).href;
  const args = ['--import', register, main, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'];
  const proc = spawn(process.execPath, args, {
    cwd: work,
    env: { PATH: process.env['PATH'], HOME: work, PORTCULLIS_ADMIN_PASSWORD: adminPassword },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(proc, 'exit');
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    void exited.then(() => {
      reject(new Error(`serve exited before listening: ${stderr}`));
    });
  });
  return { proc, url, exited };
}

type Answer = { readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly body: Buffer };

/**
 * One request whose body is `chunks` (sent with backpressure, `length` bytes in all). With
 * `crashAfter`, once that many bytes are sent it runs `crash` and abandons the request.
 */
async function request(
  method: string,
  url: string,
  opts: {
    readonly headers?: Readonly<Record<string, string>>;
    readonly chunks?: Iterator<Buffer>;
    readonly length?: number;
    readonly crashAfter?: number;
    readonly crash?: () => Promise<void>;
  } = {},
): Promise<Answer | 'crashed'> {
  const req = http.request(url, {
    method,
    headers: {
      authorization: auth,
      ...(opts.length === undefined ? {} : { 'content-length': String(opts.length) }),
      ...opts.headers,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        body.push(c);
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  let sent = 0;
  while (opts.chunks !== undefined && opts.length !== undefined && sent < opts.length) {
    const next = opts.chunks.next();
    if (next.done === true) throw new Error('the layer ran out before the request was sent');
    if (!req.write(next.value)) await once(req, 'drain');
    sent += next.value.length;
    if (opts.crashAfter !== undefined && sent >= opts.crashAfter) {
      // The connection breaks with the server: that rejection is the expected end.
      answer.catch(() => undefined);
      await opts.crash?.();
      req.destroy();
      return 'crashed';
    }
  }
  req.end();
  return answer;
}

async function answered(pending: Promise<Answer | 'crashed'>): Promise<Answer> {
  const a = await pending;
  if (a === 'crashed') throw new Error('the request was abandoned');
  return a;
}

async function startUpload(url: string): Promise<string> {
  const started = await answered(request('POST', `${url}/v2/${REPO}/blobs/uploads/`));
  expect(started.status).toBe(202);
  return new URL(String(started.headers.location), url).toString();
}

/** What a client sees of the layer: HEAD and GET must agree it is not there, or serve it whole. */
async function layerStatus(url: string, digest: Digest): Promise<number> {
  const head = await answered(request('HEAD', `${url}/v2/${REPO}/blobs/${digest}`));
  const get = await answered(
    request('GET', `${url}/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=0-15' } }),
  );
  expect([head.status, get.status === 206 ? 200 : get.status]).toEqual([head.status, head.status]);
  return head.status;
}

async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

function integrityCheck(): string {
  const db = new Database(path.join(dataDir, 'registry.db'), { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe('portcullis serve killed during a chunked upload', () => {
  it('serves no partial blob, accepts the retried push, and gc removes what the killed upload left', async () => {
    const hash = createHash('sha256');
    for (const c of layerChunks()) hash.update(c);
    const digest = `sha256:${hash.digest('hex')}` as Digest;

    // 1. A chunked upload: three PATCHes arrive whole, the fourth is cut off by SIGKILL.
    server = await startServer();
    const first = server;
    const session = await startUpload(first.url);
    const chunks = layerChunks();
    for (let start = 0; start < 3 * PATCH_SIZE; start += PATCH_SIZE) {
      const patched = await answered(
        request('PATCH', session, {
          chunks,
          length: PATCH_SIZE,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${start}-${start + PATCH_SIZE - 1}`,
          },
        }),
      );
      expect(patched.status).toBe(202);
      expect(await layerStatus(first.url, digest)).toBe(404);
    }
    const killed = await request('PATCH', session, {
      chunks,
      length: PATCH_SIZE,
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${3 * PATCH_SIZE}-${4 * PATCH_SIZE - 1}`,
      },
      crashAfter: PATCH_SIZE / 2,
      crash: async () => {
        first.proc.kill('SIGKILL');
        await first.exited;
      },
    });
    expect(killed).toBe('crashed');
    expect(first.proc.signalCode).toBe('SIGKILL');
    expect(integrityCheck()).toBe('ok');

    // 2. Restarted on the same data: the layer is not there, whatever the killed session holds.
    server = await startServer();
    const { url } = server;
    expect(await layerStatus(url, digest)).toBe(404);
    const orphan = await answered(request('GET', session.replace(first.url, url)));
    expect(orphan.status).toBe(204); // the session survived the crash (resumable), unfinished
    const kept = Number(/^0-(\d+)$/.exec(String(orphan.headers.range))?.[1] ?? -1) + 1;
    expect(kept).toBeGreaterThanOrEqual(3 * PATCH_SIZE);
    expect(kept).toBeLessThan(LAYER_SIZE);

    // 3. The client pushes again from the start, in a fresh session, and then a manifest naming it.
    const retry = await startUpload(url);
    const again = layerChunks();
    for (let start = 0; start < LAYER_SIZE; start += 2 * PATCH_SIZE) {
      const patched = await answered(
        request('PATCH', retry, {
          chunks: again,
          length: 2 * PATCH_SIZE,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${start}-${start + 2 * PATCH_SIZE - 1}`,
          },
        }),
      );
      expect(patched.status).toBe(202);
    }
    expect(await layerStatus(url, digest)).toBe(404);
    const done = await answered(request('PUT', `${retry}${retry.includes('?') ? '&' : '?'}digest=${digest}`));
    expect(done.status).toBe(201);
    expect(done.headers['docker-content-digest']).toBe(digest);
    const config = Buffer.from('{}');
    const configPut = await answered(
      request('POST', `${url}/v2/${REPO}/blobs/uploads/?digest=${digestOf(config)}`, {
        chunks: [config][Symbol.iterator](),
        length: config.length,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    expect(configPut.status).toBe(201);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: 'application/vnd.example.crash-test',
        config: { mediaType: MediaType.ociEmpty, digest: digestOf(config), size: config.length },
        layers: [{ mediaType: 'application/octet-stream', digest, size: LAYER_SIZE }],
      }),
    );
    const manifestPut = await answered(
      request('PUT', `${url}/v2/${REPO}/manifests/v1`, {
        chunks: [manifest][Symbol.iterator](),
        length: manifest.length,
        headers: { 'content-type': MediaType.ociManifest },
      }),
    );
    expect(manifestPut.status).toBe(201);

    // The digest round-trips: what is served hashes to what was pushed.
    const served = createHash('sha256');
    let servedBytes = 0;
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${url}/v2/${REPO}/blobs/${digest}`, { headers: { authorization: auth } }, (res) => {
          expect(res.statusCode).toBe(200);
          res.on('data', (c: Buffer) => {
            served.update(c);
            servedBytes += c.length;
          });
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(servedBytes).toBe(LAYER_SIZE);
    expect(`sha256:${served.digest('hex')}`).toBe(digest);

    // 4. gc, beside the running server, removes the orphaned session and nothing in use.
    const before = await diskUsage(dataDir);
    expect(before).toBeGreaterThanOrEqual(LAYER_SIZE + kept);
    const gc = await runCommandCaptured(
      runRegistry,
      ['gc', '--data-dir', dataDir, '--grace-period', '0s', '--format', 'json'],
      { cwd: work },
    );
    expect(gc.code).toBe(0);
    const report = JSON.parse(gc.stdout) as GcReport;
    const sessionId = new URL(session).pathname.split('/').pop();
    expect(report.uploads).toEqual([{ id: sessionId, repository: REPO, size: kept }]);
    expect(report.blobs).toEqual([]);
    expect(await readdir(path.join(dataDir, 'uploads'))).toEqual([]);
    const after = await diskUsage(dataDir);
    // Back to the layer plus small things (the manifest, the config, registry.db and its WAL, the key).
    expect(after).toBeLessThan(LAYER_SIZE + 8 * MiB);
    expect(await layerStatus(url, digest)).toBe(200);

    // 5. A clean stop, and the database is sound.
    server.proc.kill('SIGTERM');
    await server.exited;
    expect(server.proc.exitCode).toBe(0);
    expect(integrityCheck()).toBe('ok');
  }, 180_000);
});
