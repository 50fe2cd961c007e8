import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../core/index.js';
import { readPrivateKeyFile, readPublicKeyFile } from '../../signing/index.js';
import type { CliIO } from '../io.js';
import { promptHidden, readKeyPassword } from '../key-password.js';
import { runGenerateKeyPair } from './generate-key-pair.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-genkey-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Captured = { io: CliIO; out: () => string; err: () => string };

// The CLI's streams as runCliCaptured (src/testing/cli.ts) builds them, with stdin a plain
// stream (not a terminal).
function captured(env: NodeJS.ProcessEnv, stdin = ''): Captured {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    io: { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]), env, cwd: dir },
    out: () => out,
    err: () => err,
  };
}

describe('portcullis generate-key-pair', () => {
  it('writes cosign.key (0600) and cosign.pub in the working directory, password from PORTCULLIS_PASSWORD', async () => {
    const c = captured({ PORTCULLIS_PASSWORD: 's3cret' });
    expect(await runGenerateKeyPair([], c.io, createMemoryLogger())).toBe(0);
    const key = path.join(dir, 'cosign.key');
    expect(c.out()).toBe(
      `Private key written to ${key}\nPublic key written to ${path.join(dir, 'cosign.pub')}\n`,
    );
    expect(c.out() + c.err()).not.toContain('s3cret');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect(await readFile(key, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const pair = await readPrivateKeyFile(key, 's3cret');
    expect(pair.algorithm.id).toBe('ecdsa-sha2-256-nistp256');
    expect((await readPublicKeyFile(path.join(dir, 'cosign.pub'))).hint).toBe(pair.hint);
    await expect(readPrivateKeyFile(key, 's3cret ')).rejects.toMatchObject({ code: 'KEY_PASSWORD_WRONG' });
  });

  it('prefers PORTCULLIS_PASSWORD over COSIGN_PASSWORD, and writes to --output-key-prefix', async () => {
    const c = captured({ PORTCULLIS_PASSWORD: 'ours', COSIGN_PASSWORD: 'theirs' });
    expect(
      await runGenerateKeyPair(['--output-key-prefix', 'keys/release'], c.io, createMemoryLogger()),
    ).toBe(0);
    expect((await readdir(path.join(dir, 'keys'))).sort()).toEqual(['release.key', 'release.pub']);
    await readPrivateKeyFile(path.join(dir, 'keys', 'release.key'), 'ours');
    await expect(readPrivateKeyFile(path.join(dir, 'keys', 'release.key'), 'theirs')).rejects.toMatchObject({
      code: 'KEY_PASSWORD_WRONG',
    });
  });

  it('takes a set but empty COSIGN_PASSWORD as the empty password, with a warning', async () => {
    const c = captured({ COSIGN_PASSWORD: '' });
    const logger = createMemoryLogger();
    expect(await runGenerateKeyPair(['--output-key-prefix', 'empty'], c.io, logger)).toBe(0);
    await readPrivateKeyFile(path.join(dir, 'empty.key'), '');
    expect(logger.entries).toEqual([
      { level: 'warn', msg: expect.stringMatching(/empty password/) as unknown },
    ]);
  });

  it('without a password variable and without a terminal, fails clearly and writes nothing', async () => {
    const c = captured({}, 'typed\ntyped\n');
    const err = await runGenerateKeyPair([], c.io, createMemoryLogger()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_PASSWORD_MISSING' });
    expect((err as Error).message).toMatch(
      /set PORTCULLIS_PASSWORD \(or COSIGN_PASSWORD.*never read from arguments/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to replace existing files unless --force', async () => {
    await writeFile(path.join(dir, 'cosign.pub'), 'keep');
    const c = captured({ PORTCULLIS_PASSWORD: 'pw' });
    await expect(runGenerateKeyPair([], c.io, createMemoryLogger())).rejects.toMatchObject({
      code: 'KEY_FILE_EXISTS',
    });
    expect(await readdir(dir)).toEqual(['cosign.pub']);
    expect(await runGenerateKeyPair(['--force'], c.io, createMemoryLogger())).toBe(0);
    expect((await readPublicKeyFile(path.join(dir, 'cosign.pub'))).pemType).toBe('PUBLIC KEY');
  });

  it.each([
    { argv: ['--password', 'x'], error: /Unknown option '--password'/ },
    { argv: ['extra'], error: /takes no arguments/ },
    { argv: ['--output-key-prefix', ''], error: /must name a file prefix/ },
    { argv: ['--output-key-prefix', 'k8s://ns/secret'], error: /KMS or Kubernetes reference/ },
  ])('refuses $argv', async ({ argv, error }) => {
    const c = captured({ PORTCULLIS_PASSWORD: 'pw' });
    await expect(runGenerateKeyPair(argv, c.io, createMemoryLogger())).rejects.toThrow(error);
    expect(await readdir(dir)).toEqual([]);
  });

  it('prints its help', async () => {
    const c = captured({});
    expect(await runGenerateKeyPair(['--help'], c.io, createMemoryLogger())).toBe(0);
    expect(c.out()).toMatch(/^Usage: portcullis generate-key-pair/);
  });
});

describe('the hidden password prompt', () => {
  // Keystrokes as a terminal in raw mode delivers them, in chunks.
  async function type(chunks: string[], prompts: string[]) {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (c: Buffer) => (shown += c.toString()));
    const answers = promptHidden(input, output, prompts);
    for (const c of chunks) input.write(c);
    return { answers: await answers, shown: () => shown };
  }

  it('reads one line per prompt, with backspace and Ctrl-U editing, and echoes nothing', async () => {
    const r = await type(['pa', 'sx\u007fs\r', 'wrong\u0015pä', 'ss\r\n'], ['first: ', 'again: ']);
    expect(r.answers).toEqual(['pass', 'päss']);
    expect(r.shown()).toBe('first: \nagain: \n');
  });

  it('cancels on Ctrl-C and on end of input', async () => {
    await expect(type(['abc\u0003'], ['p: '])).rejects.toMatchObject({ code: 'KEY_PASSWORD_MISSING' });
    const input = new PassThrough();
    const pending = promptHidden(input, new PassThrough(), ['p: ']);
    input.end('no newline');
    await expect(pending).rejects.toThrow(/input ended/);
  });

  it('a password given in the environment is used without prompting, even on a terminal', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const c = captured({ COSIGN_PASSWORD: 'from-env' });
    expect(await readKeyPassword({ ...c.io, stdin }, { confirm: true })).toBe('from-env');
    expect(c.err()).toBe('');
  });
});
