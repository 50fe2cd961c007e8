import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import {
  REPOSITORY_ACTIONS,
  ROBOT_PREFIX,
  RegistryAuthError,
  addRobot,
  type RepositoryAction,
} from '../../registry/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import {
  DATA_DIR_OPTION,
  DEFAULT_DATA_DIR,
  FORMAT_OPTION,
  expectArgs,
  parseListFormat,
  printList,
  splitSubcommand,
  withAccountStore,
} from '../registry-data.js';

export const robotHelp = `Usage: portcullis robot add PROJECT NAME --actions pull[,push,delete] [--repository PATTERN]
                            [--expires 30d|12h|DATE] [--description TEXT]
       portcullis robot list [PROJECT] [--format text|json]
       portcullis robot remove LOGIN

Manages robot accounts for automation (CI) in <data-dir>/registry.db, also while the server
runs. A robot logs in as robot$PROJECT+NAME with its token as the password (Basic or /token).
"robot add" prints the token on standard output and nothing else, exactly once: it is stored
only as a hash and cannot be shown again, so pipe it where it is needed. --repository narrows
the robot to one repository (team/app) or a prefix (team/ci/*) inside PROJECT. "robot remove"
takes the login name (quote the $) or PROJECT+NAME.

Options:
  --data-dir DIR        the registry's data directory (default ./${DEFAULT_DATA_DIR})
  --actions LIST        (add) comma-separated: pull, push, delete
  --repository PATTERN  (add) a repository path or a prefix ending in /* (default: the whole project)
  --expires WHEN        (add) a duration in days or hours (30d, 12h) or an ISO 8601 date (default: never)
  --description TEXT    (add) a note shown by robot list
  --format text|json    (list) output format (default text)

Exit codes: 0 done, 2 invalid arguments or the robot exists, 3 no such project or robot.`;

const SUBCOMMANDS = ['add', 'list', 'remove'] as const;

/** `portcullis robot`: add (printing the token once), list and remove robot accounts. */
export async function runRobot(argv: string[], io: CliIO, _logger: Logger): Promise<number> {
  const split = splitSubcommand('robot', argv, SUBCOMMANDS, robotHelp, io);
  if (typeof split === 'number') return split;
  const [sub, rest] = split;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...DATA_DIR_OPTION,
      ...FORMAT_OPTION,
      actions: { type: 'string' },
      repository: { type: 'string' },
      expires: { type: 'string' },
      description: { type: 'string' },
    },
  });
  const dataDir = values['data-dir'];
  if (sub !== 'add') {
    for (const o of ['actions', 'repository', 'expires', 'description'] as const) {
      if (values[o] !== undefined) throw new UsageError(`--${o} applies to robot add`);
    }
  }
  switch (sub) {
    case 'add': {
      const [project = '', name = ''] = expectArgs(positionals, 2, 'robot add PROJECT NAME --actions LIST');
      if (values.actions === undefined) throw new UsageError('robot add needs --actions (e.g. pull,push)');
      const actions = parseActions(values.actions);
      const expiresAt = values.expires === undefined ? undefined : parseExpiry(values.expires, new Date());
      const created = await withAccountStore(io, dataDir, { create: false }, async (store) => {
        if ((await store.getProject(project)) === undefined) {
          throw new RegistryAuthError('NOT_FOUND', `no project "${project.slice(0, 64)}"`);
        }
        return addRobot(store, {
          name,
          project,
          permissions: [
            {
              project,
              actions,
              ...(values.repository === undefined ? {} : { repository: values.repository }),
            },
          ],
          ...(expiresAt === undefined ? {} : { expiresAt }),
          ...(values.description === undefined ? {} : { description: values.description }),
        });
      });
      // The token alone on stdout, so `robot add … > token` or `| kubectl create secret …` works.
      writeLine(io.stdout, created.token);
      writeLine(
        io.stderr,
        `added robot ${created.robot.name}${created.robot.expiresAt === undefined ? '' : ` (expires ${created.robot.expiresAt})`}; its token (on stdout) is shown only this once`,
      );
      return ExitCode.ok;
    }
    case 'list': {
      if (positionals.length > 1)
        throw new UsageError('usage: portcullis robot list [PROJECT] [--format text|json]');
      const format = parseListFormat(values.format);
      const project = positionals[0];
      const robots = await withAccountStore(io, dataDir, { create: false }, (store) =>
        store.listRobots(project),
      );
      printList(
        io,
        format,
        robots,
        ['NAME', 'PERMISSIONS', 'EXPIRES', 'DISABLED', 'DESCRIPTION'],
        robots.map((r) => [
          r.name,
          r.permissions.map((p) => `${p.repository ?? p.project}:${p.actions.join(',')}`).join(' '),
          r.expiresAt ?? 'never',
          r.disabled ? 'yes' : 'no',
          r.description ?? '',
        ]),
      );
      return ExitCode.ok;
    }
    case 'remove': {
      const [given = ''] = expectArgs(positionals, 1, 'robot remove LOGIN');
      const login = given.startsWith(ROBOT_PREFIX) ? given : `${ROBOT_PREFIX}${given}`;
      await withAccountStore(io, dataDir, { create: false }, (store) => store.deleteRobot(login));
      writeLine(io.stderr, `removed robot ${login}`);
      return ExitCode.ok;
    }
  }
}

/** Parses `--actions pull,push`. @throws UsageError for an empty list or an unknown action. */
export function parseActions(value: string): RepositoryAction[] {
  const parts = value.split(',').map((a) => a.trim());
  const actions = parts.map((a) => {
    const found = REPOSITORY_ACTIONS.find((k) => k === a);
    if (found === undefined) {
      throw new UsageError(
        `unknown action "${a.slice(0, 20)}" in --actions (expected ${REPOSITORY_ACTIONS.join(', ')})`,
      );
    }
    return found;
  });
  return [...new Set(actions)];
}

/**
 * Parses `--expires`: `Nd` or `Nh` from `now`, or an ISO 8601 date or date-time.
 * @throws UsageError for anything else or a time not in the future.
 */
export function parseExpiry(value: string, now: Date): Date {
  const relative = /^([1-9]\d{0,4})([dh])$/.exec(value) ?? undefined;
  let at: Date;
  if (relative !== undefined) {
    const hours = Number(relative[1]) * (relative[2] === 'd' ? 24 : 1);
    at = new Date(now.getTime() + hours * 3_600_000);
  } else if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    at = new Date(value);
  } else {
    throw new UsageError(
      `--expires must be a duration such as 30d or 12h, or an ISO 8601 date, got "${value.slice(0, 40)}"`,
    );
  }
  if (Number.isNaN(at.getTime()))
    throw new UsageError(`--expires "${value.slice(0, 40)}" is not a valid date`);
  if (at.getTime() <= now.getTime())
    throw new UsageError(`--expires ${value.slice(0, 40)} is not in the future`);
  return at;
}
