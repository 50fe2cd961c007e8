import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../core/index.js';
import { captureCliIO, runCommandCaptured } from '../testing/cli.js';
import { buildTestImages, layoutDescriptor, pushLayoutTag, runCommand } from '../testing/oci-images.js';
import { isLoopbackHost, runServe } from './commands/serve.js';
import { UsageError } from './io.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-serve-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function waitFor(probe: () => string | undefined, what: string): Promise<string> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

describe('portcullis serve', () => {
  it('serves the registry from the data directory, keeps what was pushed across a restart, and stops on the signal', async () => {
    const dir = await mkdtemp(path.join(work, 'run-'));
    const layout = path.join(dir, 'layout');
    await buildTestImages(layout, [{ tag: 'v1', files: { 'app.txt': 'served\n' } }], dir);
    const pushed = await layoutDescriptor(layout, 'v1');

    const startServer = async () => {
      const stop = new AbortController();
      const c = captureCliIO({ cwd: dir, stop: stop.signal });
      const running = runServe(['--listen', '127.0.0.1:0', '--data-dir', 'data'], c.io, createMemoryLogger());
      const url = await waitFor(
        () => /listening on (http:\/\/\S+)/.exec(c.stderr())?.[1],
        'the listening line',
      );
      return { stop, running, host: new URL(url).host, stderr: () => c.stderr() };
    };

    const first = await startServer();
    await pushLayoutTag(layout, 'v1', `${first.host}/team/app:v1`);
    first.stop.abort();
    expect(await first.running).toBe(0);
    expect(first.stderr()).toContain('stopping');
    expect((await stat(path.join(dir, 'data', 'registry.db'))).isFile()).toBe(true);

    const second = await startServer();
    try {
      const raw = await runCommand('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${second.host}/team/app:v1`,
      ]);
      expect(JSON.parse(raw)).toMatchObject({ schemaVersion: 2 });
      const out = path.join(dir, 'pulled');
      await runCommand('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        `docker://${second.host}/team/app:v1`,
        `oci:${out}:v1`,
      ]);
      expect((await layoutDescriptor(out, 'v1')).digest).toBe(pushed.digest);
    } finally {
      second.stop.abort();
      expect(await second.running).toBe(0);
    }
  });

  it('refuses a non-loopback listen address because authentication is not implemented yet', async () => {
    await expect(runCommandCaptured(runServe, ['--listen', '0.0.0.0:5000'], { cwd: work })).rejects.toThrow(
      /authentication is not implemented yet/,
    );
    await expect(
      runCommandCaptured(runServe, ['--listen', '192.168.1.10:5000'], { cwd: work }),
    ).rejects.toBeInstanceOf(UsageError);
  });

  it('says so when it cannot listen', async () => {
    const stop = new AbortController();
    const c = captureCliIO({ cwd: work, stop: stop.signal });
    const running = runServe(['--listen', '127.0.0.1:0', '--data-dir', 'busy'], c.io, createMemoryLogger());
    const url = await waitFor(
      () => /listening on (http:\/\/\S+)/.exec(c.stderr())?.[1],
      'the listening line',
    );
    const port = new URL(url).port;
    const second = await runCommandCaptured(
      runServe,
      ['--listen', `127.0.0.1:${port}`, '--data-dir', 'busy2'],
      {
        cwd: work,
      },
    );
    expect(second.code).toBe(7);
    expect(second.stderr).toContain('cannot listen');
    stop.abort();
    expect(await running).toBe(0);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['example.com', false],
  ])('treats %s as loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
