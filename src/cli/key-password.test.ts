import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/fixtures.js';

// The password prompt on a real terminal: a pseudo-terminal made by Python's pty module runs
// node on this module (compiled with the project's tsc), types keystrokes and records what the
// terminal shows. Without echo turned off, the typed password would appear in the transcript.

const run = promisify(execFile);
let work: string;

// Types each of `keys` once the screen shows the matching prompt; prints the transcript as JSON.
const DRIVER = String.raw`
import json, os, pty, select, sys, time
script, keys = sys.argv[1], json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp('node', ['node', script])
out = b''
def read_until(marker, timeout=30):
    global out
    end = time.time() + timeout
    while marker.encode() not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for prompt, typed in keys:
    read_until(prompt)
    for ch in typed:
        os.write(fd, ch.encode())
        time.sleep(0.01)
read_until('DONE')
os.waitpid(pid, 0)
print(json.dumps(out.decode('utf-8', 'replace')))
`;

const CHILD = `
import { readKeyPassword } from './cli/key-password.js';
const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: {}, cwd: process.cwd() };
try {
  const pw = await readKeyPassword(io, { confirm: true });
  process.stdout.write('RESULT:' + JSON.stringify(pw) + ' DONE\\n');
} catch (err) {
  process.stdout.write('ERROR:' + err.code + ' DONE\\n');
}
`;

beforeAll(async () => {
  // Inside the checkout so the compiled files resolve zod and @noble/ciphers from node_modules.
  await mkdir(path.join(repoRoot, '.cache'), { recursive: true });
  work = await mkdtemp(path.join(repoRoot, '.cache', 'pty-test-'));
  // Emits even when unrelated files have type errors; only key-password.ts and its imports are built.
  await run(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      ...['--outDir', work, '--rootDir', path.join(repoRoot, 'src'), '--module', 'nodenext'],
      ...['--moduleResolution', 'nodenext', '--target', 'ES2023', '--types', 'node', '--skipLibCheck'],
      path.join(repoRoot, 'src', 'cli', 'key-password.ts'),
    ],
    { cwd: repoRoot },
  ).catch((err: unknown) => err);
  await writeFile(path.join(work, 'child.mjs'), CHILD);
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function onTerminal(keys: [string, string][]): Promise<string> {
  const { stdout } = await run(
    'python3',
    ['-c', DRIVER, path.join(work, 'child.mjs'), JSON.stringify(keys)],
    {
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as string;
}

describe('the password prompt on a real terminal', () => {
  it('asks twice with echo off and returns the password', async () => {
    const screen = await onTerminal([
      ['private key: ', 'hunter2\r'],
      ['again: ', 'hunter2\r'],
    ]);
    expect(screen).toContain('Enter password for private key: ');
    expect(screen).toContain('Enter password for private key again: ');
    expect(screen).toContain('RESULT:"hunter2"');
    expect(screen.replace('RESULT:"hunter2"', '')).not.toContain('hunter');
  });

  it('refuses two different entries', async () => {
    const screen = await onTerminal([
      ['private key: ', 'one\r'],
      ['again: ', 'two\r'],
    ]);
    expect(screen).toContain('ERROR:KEY_PASSWORD_MISMATCH');
    expect(screen).not.toMatch(/one|two/);
  });

  it('stops on Ctrl-C', async () => {
    const screen = await onTerminal([['private key: ', 'abc\u0003']]);
    expect(screen).toContain('ERROR:KEY_PASSWORD_MISSING');
  });
});
