import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../core/index.js';
import { captureCliIO, runCommandCaptured, type CliRun, type CommandFn } from '../testing/cli.js';
import { parseActions, parseExpiry, runRobot } from './commands/robot.js';
import { runProject } from './commands/project.js';
import { runServe } from './commands/serve.js';
import { runUser } from './commands/user.js';
import { UsageError } from './io.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-accounts-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh test-only password; never a real secret. */
const newPassword = (): string => `pw-${randomBytes(12).toString('base64url')}`;

/** Every run of a test, so that the test can check no secret reached any output. */
function recorder(dir: string) {
  const runs: CliRun[] = [];
  const run = async (command: CommandFn, argv: readonly string[], stdin?: string): Promise<CliRun> => {
    const r = await runCommandCaptured(command, [...argv, '--data-dir', 'data'], {
      cwd: dir,
      ...(stdin === undefined ? {} : { stdin: `${stdin}\n` }),
    });
    runs.push(r);
    return r;
  };
  const json = async (command: CommandFn, argv: readonly string[]): Promise<unknown> => {
    const r = await run(command, [...argv, '--format', 'json']);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };
  const output = (): string => runs.map((r) => r.stdout + r.stderr).join('\n');
  return { run, json, output };
}

describe('portcullis user', () => {
  it('adds, lists, changes, disables, enables and removes users, reading passwords only from stdin', async () => {
    const dir = await mkdtemp(path.join(work, 'users-'));
    const { run, json, output } = recorder(dir);
    const pw = newPassword();

    // Nothing to list before any data exists; a wrong --data-dir does not create an empty database.
    await expect(run(runUser, ['list'])).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const added = await run(runUser, ['add', 'alice', '--password-stdin'], pw);
    expect(added).toMatchObject({ code: 0, stdout: '' });
    expect(added.stderr).toContain('added user alice');
    await run(runUser, ['add', 'root', '--admin', '--password-stdin'], newPassword());
    await expect(run(runUser, ['add', 'alice', '--password-stdin'], pw)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(run(runUser, ['add', 'bob'])).rejects.toThrow(/needs --password-stdin/);
    await expect(run(runUser, ['add', 'bob', '--password-stdin'], 'short')).rejects.toMatchObject({
      code: 'PASSWORD_INVALID',
    });
    await expect(run(runUser, ['add', 'Bad Name', '--password-stdin'], pw)).rejects.toMatchObject({
      code: 'NAME_INVALID',
    });
    await expect(run(runUser, ['list', '--password-stdin'])).rejects.toBeInstanceOf(UsageError);

    expect(await json(runUser, ['list'])).toEqual([
      expect.objectContaining({ name: 'alice', systemAdmin: false, disabled: false }),
      expect.objectContaining({ name: 'root', systemAdmin: true, disabled: false }),
    ]);
    const text = await run(runUser, ['list']);
    expect(text.stdout.split('\n')[0]).toMatch(/^NAME\s+ADMIN\s+DISABLED\s+CREATED$/);
    expect(text.stdout).toMatch(/^root\s+yes\s+no\s/m);

    expect((await run(runUser, ['disable', 'alice'])).code).toBe(0);
    expect(await json(runUser, ['list'])).toContainEqual(
      expect.objectContaining({ name: 'alice', disabled: true }),
    );
    expect((await run(runUser, ['enable', 'alice'])).code).toBe(0);
    expect(await json(runUser, ['list'])).toContainEqual(
      expect.objectContaining({ name: 'alice', disabled: false }),
    );

    // The registry must keep someone who can manage it.
    await expect(run(runUser, ['disable', 'root'])).rejects.toThrow(/last active system administrator/);
    await expect(run(runUser, ['remove', 'root'])).rejects.toThrow(/last active system administrator/);

    expect((await run(runUser, ['passwd', 'alice', '--password-stdin'], newPassword())).code).toBe(0);
    await expect(run(runUser, ['passwd', 'nobody', '--password-stdin'], pw)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    expect((await run(runUser, ['remove', 'alice'])).code).toBe(0);
    expect(await json(runUser, ['list'])).toEqual([expect.objectContaining({ name: 'root' })]);
    await expect(run(runUser, ['remove', 'alice'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(run(runUser, ['rename', 'alice'])).rejects.toThrow(/unknown user subcommand/);
    expect(output()).not.toContain(pw);
  });
});

describe('portcullis project', () => {
  it('adds and removes projects, and gives members roles', async () => {
    const dir = await mkdtemp(path.join(work, 'projects-'));
    const { run, json } = recorder(dir);
    await run(runUser, ['add', 'alice', '--password-stdin'], newPassword());

    expect((await run(runProject, ['add', 'team'])).stderr).toContain('added private project team');
    expect((await run(runProject, ['add', 'pub', '--public'])).code).toBe(0);
    await expect(run(runProject, ['add', 'team'])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(run(runProject, ['add', 'Team/App'])).rejects.toMatchObject({ code: 'NAME_INVALID' });
    expect(await json(runProject, ['list'])).toEqual([
      expect.objectContaining({ name: 'pub', public: true }),
      expect.objectContaining({ name: 'team', public: false }),
    ]);

    expect((await run(runProject, ['member', 'add', 'team', 'alice', 'developer'])).code).toBe(0);
    expect(await json(runProject, ['members', 'team'])).toEqual([
      { project: 'team', user: 'alice', role: 'developer' },
    ]);
    // Adding again changes the role.
    await run(runProject, ['member', 'add', 'team', 'alice', 'maintainer']);
    expect((await run(runProject, ['members', 'team'])).stdout).toMatch(/^alice\s+maintainer$/m);
    await expect(run(runProject, ['member', 'add', 'team', 'alice', 'owner'])).rejects.toMatchObject({
      code: 'PERMISSION_INVALID',
    });
    await expect(run(runProject, ['member', 'add', 'team', 'nobody', 'guest'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(run(runProject, ['members', 'nope'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(run(runProject, ['member', 'add', 'team', 'alice'])).rejects.toBeInstanceOf(UsageError);

    expect((await run(runProject, ['member', 'remove', 'team', 'alice'])).code).toBe(0);
    expect(await json(runProject, ['members', 'team'])).toEqual([]);
    await expect(run(runProject, ['member', 'remove', 'team', 'alice'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    expect((await run(runProject, ['remove', 'pub'])).code).toBe(0);
    expect(await json(runProject, ['list'])).toEqual([expect.objectContaining({ name: 'team' })]);
    await expect(run(runProject, ['remove', 'pub'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('account command usage', () => {
  it.each([
    ['user', runUser],
    ['project', runProject],
    ['robot', runRobot],
  ] as const)(
    '%s prints its help with --help (exit 0) and without a subcommand (exit 2)',
    async (name, command) => {
      const help = await runCommandCaptured(command, ['--help'], { cwd: work });
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toContain(`Usage: portcullis ${name} `);
      expect(help.stdout).toContain('--data-dir DIR');
      const none = await runCommandCaptured(command, [], { cwd: work });
      expect(none).toMatchObject({ code: 2, stdout: '' });
      expect(none.stderr).toContain(`Usage: portcullis ${name} `);
      await expect(runCommandCaptured(command, ['frob'], { cwd: work })).rejects.toThrow(
        new RegExp(`unknown ${name} subcommand "frob"`),
      );
    },
  );
});

describe('portcullis robot options', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['30d', '2026-01-31T00:00:00.000Z'],
    ['12h', '2026-01-01T12:00:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T10:00:00Z', '2026-03-01T10:00:00.000Z'],
  ])('--expires %s is %s', (value, expected) => {
    expect(parseExpiry(value, now).toISOString()).toBe(expected);
  });

  it.each(['0d', '30', '30m', 'tomorrow', '2025-12-31', '2026-13-45'])('refuses --expires %s', (value) => {
    expect(() => parseExpiry(value, now)).toThrow(UsageError);
  });

  it('reads --actions as a comma-separated list of known actions', () => {
    expect(parseActions('push,pull,push')).toEqual(['push', 'pull']);
    expect(() => parseActions('pull,admin')).toThrow(/unknown action "admin"/);
    expect(() => parseActions('')).toThrow(UsageError);
  });
});

describe('accounts managed beside a running registry', () => {
  it('a new user authenticates with the role given, a robot with the token printed once, and no secret is stored or printed in clear', async () => {
    const dir = await mkdtemp(path.join(work, 'live-'));
    const { run, json, output } = recorder(dir);
    const stop = new AbortController();
    const serve = captureCliIO({
      cwd: dir,
      stop: stop.signal,
      env: { PORTCULLIS_ADMIN_PASSWORD: newPassword() },
    });
    const running = runServe(
      ['--listen', '127.0.0.1:0', '--data-dir', 'data'],
      serve.io,
      createMemoryLogger(),
    );
    const secrets: string[] = [];
    // Robot tokens appear exactly once (robot add's stdout); passwords never.
    const tokens: string[] = [];
    try {
      const listening = new Promise<string>((resolve) => {
        serve.io.stderr.on('data', () => {
          const url = /listening on (http:\/\/\S+)/.exec(serve.stderr())?.[1];
          if (url !== undefined) resolve(url);
        });
      });
      const base = await Promise.race([
        listening,
        running.then((code) => Promise.reject(new Error(`serve ended with ${code}: ${serve.stderr()}`))),
      ]);
      const basic = (user: string, password: string) =>
        `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const push = (authorization: string) =>
        fetch(`${base}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization } });
      const pull = (authorization: string) =>
        fetch(`${base}/v2/team/app/tags/list`, { headers: { authorization } });

      const devPw = newPassword();
      const guestPw = newPassword();
      secrets.push(devPw, guestPw);
      await run(runProject, ['add', 'team']);
      await run(runUser, ['add', 'dev', '--password-stdin'], devPw);
      await run(runUser, ['add', 'gus', '--password-stdin'], guestPw);
      await run(runProject, ['member', 'add', 'team', 'dev', 'developer']);
      await run(runProject, ['member', 'add', 'team', 'gus', 'guest']);

      expect((await push(basic('dev', devPw))).status).toBe(202);
      expect((await pull(basic('gus', guestPw))).status).toBe(404); // allowed; nothing pushed yet
      expect((await push(basic('gus', guestPw))).status).toBe(403);

      // A changed password takes effect at once; the old one stops working.
      const newDevPw = newPassword();
      secrets.push(newDevPw);
      await run(runUser, ['passwd', 'dev', '--password-stdin'], newDevPw);
      expect((await push(basic('dev', devPw))).status).toBe(401);
      expect((await push(basic('dev', newDevPw))).status).toBe(202);
      await run(runUser, ['disable', 'dev']);
      expect((await push(basic('dev', newDevPw))).status).toBe(401);

      // The robot's token is all of stdout, printed once, and grants exactly its actions.
      const added = await run(runRobot, ['add', 'team', 'ci', '--actions', 'pull,push', '--expires', '30d']);
      expect(added.code).toBe(0);
      expect(added.stdout).toMatch(/^\S+\n$/);
      const token = added.stdout.trim();
      tokens.push(token);
      expect(added.stderr).toContain('added robot robot$team+ci');
      expect((await push(basic('robot$team+ci', token))).status).toBe(202);
      const reader = await run(runRobot, [
        'add',
        'team',
        'reader',
        '--actions',
        'pull',
        '--repository',
        'team/app',
      ]);
      tokens.push(reader.stdout.trim());
      expect((await pull(basic('robot$team+reader', reader.stdout.trim()))).status).toBe(404);
      expect((await push(basic('robot$team+reader', reader.stdout.trim()))).status).toBe(403);
      await expect(run(runRobot, ['add', 'nope', 'ci', '--actions', 'pull'])).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(run(runRobot, ['add', 'team', 'ci', '--actions', 'pull'])).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
      });

      expect(await json(runRobot, ['list', 'team'])).toEqual([
        expect.objectContaining({
          name: 'robot$team+ci',
          permissions: [{ project: 'team', actions: ['pull', 'push'] }],
          expiresAt: expect.stringMatching(/^20\d\d-/) as unknown,
        }),
        expect.objectContaining({
          name: 'robot$team+reader',
          permissions: [{ project: 'team', repository: 'team/app', actions: ['pull'] }],
        }),
      ]);
      expect((await run(runRobot, ['remove', 'team+ci'])).stderr).toContain('removed robot robot$team+ci');
      expect((await push(basic('robot$team+ci', token))).status).toBe(401);
      await expect(run(runRobot, ['remove', 'robot$team+ci'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      stop.abort();
      expect(await running).toBe(0);
    }

    const stored = await Promise.all(
      (await readdir(path.join(dir, 'data')))
        .filter((f) => f.startsWith('registry.db'))
        .map((f) => readFile(path.join(dir, 'data', f))),
    );
    expect(stored.length).toBeGreaterThan(0);
    const everything = `${output()}\n${serve.stderr()}`;
    for (const secret of [...secrets, ...tokens]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(everything.split(secret).length - 1).toBe(tokens.includes(secret) ? 1 : 0);
      for (const file of stored) expect(file.includes(secret)).toBe(false);
    }
  });
});
