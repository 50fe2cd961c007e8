import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { addProject, parseRole, RegistryAuthError } from '../../registry/index.js';
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

export const projectHelp = `Usage: portcullis project add NAME [--public]
       portcullis project list [--format text|json]
       portcullis project remove NAME
       portcullis project member add PROJECT USER ROLE
       portcullis project member remove PROJECT USER
       portcullis project members PROJECT [--format text|json]

Manages projects (the first path component of repositories: team for team/app) and their
members in <data-dir>/registry.db, also while the server runs. Roles: admin, maintainer (push,
delete), developer (push), guest (pull). Public projects may be pulled anonymously. Adding a
member who already has a role changes the role. Removing a project removes its memberships and
robots; its repositories stay until deleted.

Options:
  --data-dir DIR       the registry's data directory (default ./${DEFAULT_DATA_DIR})
  --public             (add) allow anonymous pulls
  --format text|json   (list, members) output format (default text)

Exit codes: 0 done, 2 invalid arguments or it exists, 3 no such project, user or membership.`;

const SUBCOMMANDS = ['add', 'list', 'remove', 'member', 'members'] as const;

/** `portcullis project`: add, list and remove projects, and manage their members. */
export async function runProject(argv: string[], io: CliIO, _logger: Logger): Promise<number> {
  const split = splitSubcommand('project', argv, SUBCOMMANDS, projectHelp, io);
  if (typeof split === 'number') return split;
  const [sub, rest] = split;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...DATA_DIR_OPTION, ...FORMAT_OPTION, public: { type: 'boolean', default: false } },
  });
  const dataDir = values['data-dir'];
  if (values.public && sub !== 'add') throw new UsageError('--public applies to project add');
  switch (sub) {
    case 'add': {
      const [name = ''] = expectArgs(positionals, 1, 'project add NAME [--public]');
      const project = await withAccountStore(io, dataDir, { create: true }, (store) =>
        addProject(store, { name, public: values.public }),
      );
      writeLine(io.stderr, `added ${project.public ? 'public' : 'private'} project ${project.name}`);
      return ExitCode.ok;
    }
    case 'list': {
      expectArgs(positionals, 0, 'project list [--format text|json]');
      const format = parseListFormat(values.format);
      const projects = await withAccountStore(io, dataDir, { create: false }, (store) =>
        store.listProjects(),
      );
      printList(
        io,
        format,
        projects,
        ['NAME', 'PUBLIC', 'CREATED'],
        projects.map((p) => [p.name, p.public ? 'yes' : 'no', p.createdAt]),
      );
      return ExitCode.ok;
    }
    case 'remove': {
      const [name = ''] = expectArgs(positionals, 1, 'project remove NAME');
      await withAccountStore(io, dataDir, { create: false }, (store) => store.deleteProject(name));
      writeLine(io.stderr, `removed project ${name}`);
      return ExitCode.ok;
    }
    case 'member': {
      const [action, ...args] = positionals;
      if (action === 'add') {
        const [project = '', user = '', roleName = ''] = expectArgs(
          args,
          3,
          'project member add PROJECT USER ROLE',
        );
        const role = parseRole(roleName);
        await withAccountStore(io, dataDir, { create: false }, (store) =>
          store.setMember(project, user, role),
        );
        writeLine(io.stderr, `${user} is ${role} of ${project}`);
        return ExitCode.ok;
      }
      if (action === 'remove') {
        const [project = '', user = ''] = expectArgs(args, 2, 'project member remove PROJECT USER');
        await withAccountStore(io, dataDir, { create: false }, (store) => store.removeMember(project, user));
        writeLine(io.stderr, `removed ${user} from ${project}`);
        return ExitCode.ok;
      }
      throw new UsageError(
        'usage: portcullis project member add PROJECT USER ROLE | member remove PROJECT USER',
      );
    }
    case 'members': {
      const [project = ''] = expectArgs(positionals, 1, 'project members PROJECT [--format text|json]');
      const format = parseListFormat(values.format);
      const members = await withAccountStore(io, dataDir, { create: false }, async (store) => {
        // An unknown project is an error, not an empty list: a typo should not look like "no members".
        if ((await store.getProject(project)) === undefined) {
          throw new RegistryAuthError('NOT_FOUND', `no project "${project.slice(0, 64)}"`);
        }
        return store.listMembers(project);
      });
      printList(
        io,
        format,
        members,
        ['USER', 'ROLE'],
        members.map((m) => [m.user, m.role]),
      );
      return ExitCode.ok;
    }
  }
}
