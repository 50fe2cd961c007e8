import type Database from 'better-sqlite3';
import { z } from 'zod';
import { RegistryAuthError } from './errors.js';
import type { AccountStore, NewRobot, RobotCredentials, UserCredentials } from './store.js';
import {
  PROJECT_ROLES,
  type Membership,
  type Project,
  type ProjectRole,
  type Robot,
  type User,
} from './types.js';

// The account store in SQLite. Its tables carry the `auth_` prefix and their own schema version
// (`auth_schema_version`), so they can share one database file with the registry's metadata
// tables. Cascading deletes are done here in transactions instead of by foreign keys, because
// `PRAGMA foreign_keys` is a per-connection setting that belongs to whoever opened the handle.

/** Migrations in order; the schema version is the number applied. Never edit one, append. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE auth_users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    system_admin INTEGER NOT NULL CHECK (system_admin IN (0, 1)),
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE auth_projects (
    name TEXT PRIMARY KEY,
    public INTEGER NOT NULL CHECK (public IN (0, 1)),
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE auth_members (
    project TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'maintainer', 'developer', 'guest')),
    PRIMARY KEY (project, user)
  ) WITHOUT ROWID;
  CREATE INDEX auth_members_user ON auth_members (user);
  CREATE TABLE auth_robots (
    name TEXT PRIMARY KEY,
    project TEXT,
    token_hash TEXT NOT NULL,
    permissions TEXT NOT NULL,
    expires_at TEXT,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    description TEXT,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX auth_robots_project ON auth_robots (project);
  `,
];

/** Schema version this code writes; a database with a newer one is refused. */
export const AUTH_SCHEMA_VERSION = MIGRATIONS.length;

type UserRow = {
  name: string;
  password_hash: string;
  system_admin: number;
  disabled: number;
  created_at: string;
};
type ProjectRow = { name: string; public: number; created_at: string };
type RobotRow = {
  name: string;
  // SQL NULL reads back as null: typed unknown and checked with typeof.
  project: unknown;
  token_hash: string;
  permissions: string;
  expires_at: unknown;
  disabled: number;
  description: unknown;
  created_at: string;
};

const PERMISSIONS_SCHEMA = z.array(
  z.object({
    project: z.string(),
    repository: z.string().optional(),
    actions: z.array(z.enum(['pull', 'push', 'delete'])),
  }),
);

function optionalText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function toUser(r: UserRow): User {
  return {
    name: r.name,
    systemAdmin: r.system_admin === 1,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
  };
}

function toProject(r: ProjectRow): Project {
  return { name: r.name, public: r.public === 1, createdAt: r.created_at };
}

function toRole(v: string): ProjectRole {
  const role = PROJECT_ROLES.find((r) => r === v);
  if (role === undefined)
    throw new RegistryAuthError('STORE_INCOMPATIBLE', 'unknown role stored in auth_members');
  return role;
}

function toRobot(r: RobotRow): Robot {
  const parsed = PERMISSIONS_SCHEMA.safeParse(JSON.parse(r.permissions));
  if (!parsed.success)
    throw new RegistryAuthError('STORE_INCOMPATIBLE', 'unreadable robot permissions stored in auth_robots');
  return {
    name: r.name,
    project: optionalText(r.project),
    permissions: parsed.data.map((p) => ({
      project: p.project,
      ...(p.repository !== undefined ? { repository: p.repository } : {}),
      actions: p.actions,
    })),
    expiresAt: optionalText(r.expires_at),
    disabled: r.disabled === 1,
    description: optionalText(r.description),
    createdAt: r.created_at,
  };
}

function notFound(what: string, name: string): RegistryAuthError {
  return new RegistryAuthError('NOT_FOUND', `${what} ${name.slice(0, 140)} does not exist`);
}

/** Runs synchronous store code so that its exceptions become rejections, as callers of a Promise expect. */
function settle<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Error &&
    'code' in err &&
    (err as { code: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Creates or upgrades the account tables in `db` to {@link AUTH_SCHEMA_VERSION}. Throws
 * STORE_INCOMPATIBLE when the database was written by a newer Portcullis.
 */
export function migrateAuthSchema(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS auth_schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)',
  );
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM auth_schema_version WHERE id = 1').get() as
      { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > AUTH_SCHEMA_VERSION) {
      throw new RegistryAuthError(
        'STORE_INCOMPATIBLE',
        `account tables have schema version ${current}; this Portcullis understands up to ${AUTH_SCHEMA_VERSION}`,
      );
    }
    for (let v = current; v < AUTH_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.prepare(
      'INSERT INTO auth_schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
    ).run(AUTH_SCHEMA_VERSION);
  }).immediate();
}

/** {@link AccountStore} on a better-sqlite3 handle owned by the caller (who also closes it). */
export class SqliteAccountStore implements AccountStore {
  readonly #db: Database.Database;
  readonly #now: () => Date;

  /** Migrates the schema first. `now` is for tests that fix creation times. */
  constructor(db: Database.Database, opts: { readonly now?: () => Date } = {}) {
    this.#db = db;
    this.#now = opts.now ?? (() => new Date());
    migrateAuthSchema(db);
  }

  #user(name: string): UserRow | undefined {
    return this.#db.prepare('SELECT * FROM auth_users WHERE name = ?').get(name) as UserRow | undefined;
  }

  #robot(name: string): RobotRow | undefined {
    return this.#db.prepare('SELECT * FROM auth_robots WHERE name = ?').get(name) as RobotRow | undefined;
  }

  #project(name: string): ProjectRow | undefined {
    return this.#db.prepare('SELECT * FROM auth_projects WHERE name = ?').get(name) as ProjectRow | undefined;
  }

  #insert(what: string, name: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new RegistryAuthError('ALREADY_EXISTS', `${what} ${name.slice(0, 140)} already exists`);
      throw err;
    }
  }

  createUser(user: { name: string; passwordHash: string; systemAdmin: boolean }): Promise<User> {
    return settle(() => {
      this.#insert('user', user.name, () =>
        this.#db
          .prepare(
            'INSERT INTO auth_users (name, password_hash, system_admin, disabled, created_at) VALUES (?, ?, ?, 0, ?)',
          )
          .run(user.name, user.passwordHash, user.systemAdmin ? 1 : 0, this.#now().toISOString()),
      );
      return this.#existingUser(user.name);
    });
  }

  #existingUser(name: string): Promise<User> {
    const row = this.#user(name);
    if (row === undefined) return Promise.reject(notFound('user', name));
    return Promise.resolve(toUser(row));
  }

  getUser(name: string): Promise<User | undefined> {
    const row = this.#user(name);
    return Promise.resolve(row === undefined ? undefined : toUser(row));
  }

  getUserCredentials(name: string): Promise<UserCredentials | undefined> {
    const row = this.#user(name);
    return Promise.resolve(
      row === undefined ? undefined : { user: toUser(row), passwordHash: row.password_hash },
    );
  }

  listUsers(): Promise<User[]> {
    const rows = this.#db.prepare('SELECT * FROM auth_users ORDER BY name').all() as UserRow[];
    return Promise.resolve(rows.map(toUser));
  }

  updateUser(
    name: string,
    changes: { passwordHash?: string; systemAdmin?: boolean; disabled?: boolean },
  ): Promise<User> {
    const row = this.#user(name);
    if (row === undefined) return Promise.reject(notFound('user', name));
    this.#db
      .prepare('UPDATE auth_users SET password_hash = ?, system_admin = ?, disabled = ? WHERE name = ?')
      .run(
        changes.passwordHash ?? row.password_hash,
        changes.systemAdmin === undefined ? row.system_admin : changes.systemAdmin ? 1 : 0,
        changes.disabled === undefined ? row.disabled : changes.disabled ? 1 : 0,
        name,
      );
    return this.#existingUser(name);
  }

  deleteUser(name: string): Promise<void> {
    const changes = this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM auth_members WHERE user = ?').run(name);
      return this.#db.prepare('DELETE FROM auth_users WHERE name = ?').run(name).changes;
    })();
    return changes === 0 ? Promise.reject(notFound('user', name)) : Promise.resolve();
  }

  countActiveSystemAdmins(): Promise<number> {
    const row = this.#db
      .prepare('SELECT count(*) AS n FROM auth_users WHERE system_admin = 1 AND disabled = 0')
      .get() as {
      n: number;
    };
    return Promise.resolve(row.n);
  }

  createProject(project: { name: string; public: boolean }): Promise<Project> {
    return settle(() => {
      this.#insert('project', project.name, () =>
        this.#db
          .prepare('INSERT INTO auth_projects (name, public, created_at) VALUES (?, ?, ?)')
          .run(project.name, project.public ? 1 : 0, this.#now().toISOString()),
      );
      return this.#existingProject(project.name);
    });
  }

  #existingProject(name: string): Promise<Project> {
    const row = this.#project(name);
    return row === undefined ? Promise.reject(notFound('project', name)) : Promise.resolve(toProject(row));
  }

  getProject(name: string): Promise<Project | undefined> {
    const row = this.#project(name);
    return Promise.resolve(row === undefined ? undefined : toProject(row));
  }

  listProjects(): Promise<Project[]> {
    const rows = this.#db.prepare('SELECT * FROM auth_projects ORDER BY name').all() as ProjectRow[];
    return Promise.resolve(rows.map(toProject));
  }

  setProjectPublic(name: string, isPublic: boolean): Promise<Project> {
    const changes = this.#db
      .prepare('UPDATE auth_projects SET public = ? WHERE name = ?')
      .run(isPublic ? 1 : 0, name).changes;
    return changes === 0 ? Promise.reject(notFound('project', name)) : this.#existingProject(name);
  }

  deleteProject(name: string): Promise<void> {
    const changes = this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM auth_members WHERE project = ?').run(name);
      this.#db.prepare('DELETE FROM auth_robots WHERE project = ?').run(name);
      return this.#db.prepare('DELETE FROM auth_projects WHERE name = ?').run(name).changes;
    })();
    return changes === 0 ? Promise.reject(notFound('project', name)) : Promise.resolve();
  }

  setMember(project: string, user: string, role: ProjectRole): Promise<Membership> {
    return settle(() => {
      this.#db.transaction(() => {
        if (this.#project(project) === undefined) throw notFound('project', project);
        if (this.#user(user) === undefined) throw notFound('user', user);
        this.#db
          .prepare(
            'INSERT INTO auth_members (project, user, role) VALUES (?, ?, ?) ON CONFLICT (project, user) DO UPDATE SET role = excluded.role',
          )
          .run(project, user, role);
      })();
      return { project, user, role };
    });
  }

  removeMember(project: string, user: string): Promise<void> {
    const changes = this.#db
      .prepare('DELETE FROM auth_members WHERE project = ? AND user = ?')
      .run(project, user).changes;
    return changes === 0
      ? Promise.reject(notFound('membership of', `${user} in ${project}`))
      : Promise.resolve();
  }

  getRole(project: string, user: string): Promise<ProjectRole | undefined> {
    const row = this.#db
      .prepare('SELECT role FROM auth_members WHERE project = ? AND user = ?')
      .get(project, user) as { role: string } | undefined;
    return Promise.resolve(row === undefined ? undefined : toRole(row.role));
  }

  listMembers(project: string): Promise<Membership[]> {
    const rows = this.#db
      .prepare('SELECT * FROM auth_members WHERE project = ? ORDER BY user')
      .all(project) as {
      project: string;
      user: string;
      role: string;
    }[];
    return Promise.resolve(rows.map((r) => ({ project: r.project, user: r.user, role: toRole(r.role) })));
  }

  createRobot(robot: NewRobot): Promise<Robot> {
    return settle(() => {
      if (robot.project !== undefined && this.#project(robot.project) === undefined) {
        return Promise.reject(notFound('project', robot.project));
      }
      this.#insert('robot', robot.name, () =>
        this.#db
          .prepare(
            'INSERT INTO auth_robots (name, project, token_hash, permissions, expires_at, disabled, description, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
          )
          .run(
            robot.name,
            robot.project,
            robot.tokenHash,
            JSON.stringify(robot.permissions),
            robot.expiresAt,
            robot.description,
            this.#now().toISOString(),
          ),
      );
      return this.#existingRobot(robot.name);
    });
  }

  #existingRobot(name: string): Promise<Robot> {
    const row = this.#robot(name);
    return row === undefined ? Promise.reject(notFound('robot', name)) : Promise.resolve(toRobot(row));
  }

  getRobotCredentials(name: string): Promise<RobotCredentials | undefined> {
    const row = this.#robot(name);
    return Promise.resolve(
      row === undefined ? undefined : { robot: toRobot(row), tokenHash: row.token_hash },
    );
  }

  listRobots(project?: string): Promise<Robot[]> {
    const rows = (
      project === undefined
        ? this.#db.prepare('SELECT * FROM auth_robots ORDER BY name').all()
        : this.#db.prepare('SELECT * FROM auth_robots WHERE project = ? ORDER BY name').all(project)
    ) as RobotRow[];
    return Promise.resolve(rows.map(toRobot));
  }

  setRobotDisabled(name: string, disabled: boolean): Promise<Robot> {
    const changes = this.#db
      .prepare('UPDATE auth_robots SET disabled = ? WHERE name = ?')
      .run(disabled ? 1 : 0, name).changes;
    return changes === 0 ? Promise.reject(notFound('robot', name)) : this.#existingRobot(name);
  }

  deleteRobot(name: string): Promise<void> {
    const changes = this.#db.prepare('DELETE FROM auth_robots WHERE name = ?').run(name).changes;
    return changes === 0 ? Promise.reject(notFound('robot', name)) : Promise.resolve();
  }
}
