import type { Membership, Project, ProjectRole, Robot, RobotPermission, User } from './types.js';

// The account store: plain persistence, no policy. Hashing, name rules and token generation
// live in accounts.ts, so another backend (PostgreSQL) implements only this interface. Methods
// are asynchronous for that reason even though the SQLite implementation is synchronous.

/** A user with its password hash, for authentication only. */
export type UserCredentials = {
  readonly user: User;
  /** argon2id PHC string. */
  readonly passwordHash: string;
};

/** A robot with its token hash, for authentication only. */
export type RobotCredentials = {
  readonly robot: Robot;
  /** `sha256:<hex>` of the token. */
  readonly tokenHash: string;
};

/** What a store needs to create a robot; the token is already hashed. */
export type NewRobot = {
  readonly name: string;
  readonly project: string | undefined;
  readonly permissions: readonly RobotPermission[];
  readonly expiresAt: string | undefined;
  readonly description: string | undefined;
  readonly tokenHash: string;
};

/**
 * Persistence of users, projects, memberships and robots. Writes throw RegistryAuthError
 * ALREADY_EXISTS or NOT_FOUND; reads return undefined for what does not exist.
 */
export interface AccountStore {
  createUser(user: { name: string; passwordHash: string; systemAdmin: boolean }): Promise<User>;
  getUser(name: string): Promise<User | undefined>;
  getUserCredentials(name: string): Promise<UserCredentials | undefined>;
  listUsers(): Promise<User[]>;
  updateUser(
    name: string,
    changes: { passwordHash?: string; systemAdmin?: boolean; disabled?: boolean },
  ): Promise<User>;
  /** Removes the user and their memberships. */
  deleteUser(name: string): Promise<void>;
  countActiveSystemAdmins(): Promise<number>;

  createProject(project: { name: string; public: boolean }): Promise<Project>;
  getProject(name: string): Promise<Project | undefined>;
  listProjects(): Promise<Project[]>;
  setProjectPublic(name: string, isPublic: boolean): Promise<Project>;
  /** Removes the project, its memberships and its robots. */
  deleteProject(name: string): Promise<void>;

  /** Adds or changes a membership (the user and project must exist). */
  setMember(project: string, user: string, role: ProjectRole): Promise<Membership>;
  removeMember(project: string, user: string): Promise<void>;
  getRole(project: string, user: string): Promise<ProjectRole | undefined>;
  listMembers(project: string): Promise<Membership[]>;

  createRobot(robot: NewRobot): Promise<Robot>;
  getRobotCredentials(name: string): Promise<RobotCredentials | undefined>;
  /** Robots of `project`, or every robot when undefined. */
  listRobots(project?: string): Promise<Robot[]>;
  setRobotDisabled(name: string, disabled: boolean): Promise<Robot>;
  deleteRobot(name: string): Promise<void>;
}
