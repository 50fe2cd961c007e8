import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { readPasswordFromStdin } from '../../oci/index.js';
import { addUser, RegistryAuthError, setUserPassword, type AccountStore } from '../../registry/index.js';
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

export const userHelp = `Usage: portcullis user add NAME [--admin] --password-stdin
       portcullis user passwd NAME --password-stdin
       portcullis user list [--format text|json]
       portcullis user disable|enable|remove NAME

Manages the registry's user accounts in <data-dir>/registry.db, also while the server runs.
Passwords are read from standard input only (one line; at least 8 characters) and stored as
argon2id hashes; they are never printed. Disabled users cannot log in. The last active system
administrator cannot be disabled or removed.

Options:
  --data-dir DIR       the registry's data directory (default ./${DEFAULT_DATA_DIR})
  --admin              (add) make the user a system administrator
  --password-stdin     (add, passwd) read the password from standard input
  --format text|json   (list) output format (default text)

Exit codes: 0 done, 2 invalid arguments or the user exists, 3 no such user or no registry data.`;

const SUBCOMMANDS = ['add', 'passwd', 'list', 'disable', 'enable', 'remove'] as const;

/** `portcullis user`: add, change, list, disable, enable and remove registry users. */
export async function runUser(argv: string[], io: CliIO, _logger: Logger): Promise<number> {
  const split = splitSubcommand('user', argv, SUBCOMMANDS, userHelp, io);
  if (typeof split === 'number') return split;
  const [sub, rest] = split;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...DATA_DIR_OPTION,
      ...FORMAT_OPTION,
      admin: { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
    },
  });
  const dataDir = values['data-dir'];
  if (values.admin && sub !== 'add') throw new UsageError('--admin applies to user add');
  const needsPassword = sub === 'add' || sub === 'passwd';
  if (values['password-stdin'] !== needsPassword) {
    throw new UsageError(
      needsPassword
        ? `user ${sub} needs --password-stdin: passwords are never taken from arguments`
        : `--password-stdin applies to user add and user passwd`,
    );
  }
  switch (sub) {
    case 'add': {
      const [name = ''] = expectArgs(positionals, 1, 'user add NAME [--admin] --password-stdin');
      const password = await readPasswordFromStdin(io.stdin);
      const user = await withAccountStore(io, dataDir, { create: true }, (store) =>
        addUser(store, { name, password, systemAdmin: values.admin }),
      );
      writeLine(io.stderr, `added user ${user.name}${user.systemAdmin ? ' (system administrator)' : ''}`);
      return ExitCode.ok;
    }
    case 'passwd': {
      const [name = ''] = expectArgs(positionals, 1, 'user passwd NAME --password-stdin');
      const password = await readPasswordFromStdin(io.stdin);
      await withAccountStore(io, dataDir, { create: false }, (store) =>
        setUserPassword(store, name, password),
      );
      writeLine(io.stderr, `changed the password of ${name}`);
      return ExitCode.ok;
    }
    case 'list': {
      expectArgs(positionals, 0, 'user list [--format text|json]');
      const format = parseListFormat(values.format);
      const users = await withAccountStore(io, dataDir, { create: false }, (store) => store.listUsers());
      printList(
        io,
        format,
        users,
        ['NAME', 'ADMIN', 'DISABLED', 'CREATED'],
        users.map((u) => [u.name, u.systemAdmin ? 'yes' : 'no', u.disabled ? 'yes' : 'no', u.createdAt]),
      );
      return ExitCode.ok;
    }
    case 'disable':
    case 'enable':
    case 'remove': {
      const [name = ''] = expectArgs(positionals, 1, `user ${sub} NAME`);
      await withAccountStore(io, dataDir, { create: false }, async (store) => {
        if (sub !== 'enable') await refuseLastAdmin(store, name, sub);
        if (sub === 'remove') await store.deleteUser(name);
        else await store.updateUser(name, { disabled: sub === 'disable' });
      });
      writeLine(io.stderr, `${sub === 'remove' ? 'removed' : `${sub}d`} user ${name}`);
      return ExitCode.ok;
    }
  }
}

/** Keeps one active system administrator: without one, nobody could manage the registry. */
async function refuseLastAdmin(store: AccountStore, name: string, action: string): Promise<void> {
  const user = await store.getUser(name);
  if (user === undefined) throw new RegistryAuthError('NOT_FOUND', `no user "${name.slice(0, 64)}"`);
  if (user.systemAdmin && !user.disabled && (await store.countActiveSystemAdmins()) <= 1) {
    throw new UsageError(`refusing to ${action} ${user.name}: it is the last active system administrator`);
  }
}
