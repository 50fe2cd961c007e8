import { z } from 'zod';
import { tryParseDigest, type Digest } from '../../../core/index.js';
import {
  MAX_NAME_LENGTH,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  PROJECT_ROLES,
  REPOSITORY_ACTIONS,
  isValidProjectName,
  isValidUserName,
  parseRobotLoginName,
  projectOfRepository,
  robotLoginName,
  type ProjectRole,
  type RepositoryAction,
} from '../../auth/index.js';
import { API_ERROR_CODES, type ApiErrorCode } from './errors.js';

// The management API's input and output, as zod schemas. Inputs are checked with them at the
// boundary; both are written into the OpenAPI document from them. Schemas made with
// apiComponent become named components there (`#/components/schemas/<id>`).

/**
 * Names a schema as an OpenAPI component (zod's global registry carries the id, so it must be
 * unique in the program). Returns the named schema, which is the one to use.
 */
export function apiComponent<T extends z.ZodType>(schema: T, id: string, description: string): T {
  return schema.meta({ id, description });
}

const time = z.string().describe('ISO 8601 time.');

export const userNameSchema = z
  .string()
  .max(MAX_NAME_LENGTH)
  .refine(isValidUserName, {
    error: `expected a user name: 1–${MAX_NAME_LENGTH} lower-case letters, digits, ".", "_", "@" or "-"`,
  });

export const projectNameSchema = z.string().max(MAX_NAME_LENGTH).refine(isValidProjectName, {
  error: 'expected a project name: one lower-case repository path component',
});

/** A repository path inside a project (`team/app`); in a URL path its slashes are percent-encoded. */
export const repositoryNameSchema = z
  .string()
  .max(255)
  .refine((s) => projectOfRepository(s) !== undefined, {
    error: 'expected a repository name with a project component, such as team/app (encode / as %2F)',
  })
  .describe('A repository, such as team/app; percent-encode its slashes in the path (team%2Fapp).');

/** A manifest digest, `sha256:<64 hex>` or `sha512:<128 hex>`. */
export const digestSchema = z
  .string()
  .max(200)
  .transform((s, ctx): Digest => {
    const d = tryParseDigest(s);
    if (d === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a digest: sha256:<64 hex> or sha512:<128 hex>' });
      return z.NEVER;
    }
    return d;
  })
  .describe('A manifest digest, sha256:<64 hex>.');

const password = z
  .string()
  .describe(
    `At least ${MIN_PASSWORD_LENGTH} characters, at most ${MAX_PASSWORD_BYTES} bytes; stored only as an argon2id hash.`,
  );

const roleSchema = z
  .enum(PROJECT_ROLES as [ProjectRole, ...ProjectRole[]])
  .describe(
    'A project role: admin, maintainer (pull, push, delete), developer (pull, push) or guest (pull).',
  );
const actionSchema = z.enum(REPOSITORY_ACTIONS as [RepositoryAction, ...RepositoryAction[]]);

export const userSchema = apiComponent(
  z.strictObject({
    name: z.string(),
    systemAdmin: z.boolean(),
    disabled: z.boolean(),
    createdAt: time,
  }),
  'User',
  'A user account; its password hash never leaves the server.',
);

export const createUserSchema = apiComponent(
  z.strictObject({
    name: userNameSchema,
    password,
    systemAdmin: z.boolean().optional().describe('Make the user a system administrator (default false).'),
  }),
  'CreateUser',
  'A new user.',
);

export const changePasswordSchema = apiComponent(
  z.strictObject({
    password,
    currentPassword: z
      .string()
      .optional()
      .describe(
        'The password being replaced: required when users change their own password without being system administrators, so a leaked token cannot take over the account.',
      ),
  }),
  'ChangePassword',
  'A new password.',
);

export const updateUserSchema = apiComponent(
  z.strictObject({
    disabled: z
      .boolean()
      .describe('Disabled users cannot log in and are denied everything; their sessions end at once.'),
  }),
  'UpdateUser',
  "A change of a user's account state.",
);

export const projectSchema = apiComponent(
  z.strictObject({ name: z.string(), public: z.boolean(), createdAt: time }),
  'Project',
  'A project: the first path component of its repositories.',
);

export const createProjectSchema = apiComponent(
  z.strictObject({
    name: projectNameSchema,
    public: z.boolean().optional().describe('Allow anonymous pulls (default false).'),
  }),
  'CreateProject',
  'A new project.',
);

export const updateProjectSchema = apiComponent(
  z.strictObject({ public: z.boolean().describe('Allow anonymous pulls.') }),
  'UpdateProject',
  "A change of a project's visibility.",
);

export const membershipSchema = apiComponent(
  z.strictObject({ project: z.string(), user: z.string(), role: roleSchema }),
  'Membership',
  "A user's role in a project.",
);

export const setMemberSchema = apiComponent(
  z.strictObject({ role: roleSchema }),
  'SetMember',
  'A role to give.',
);

const robotPermissionSchema = apiComponent(
  z.strictObject({
    project: z.string(),
    repository: z.string().optional(),
    actions: z.array(actionSchema),
  }),
  'RobotPermission',
  'What a robot may do: actions on the repositories of a project, optionally one repository or a prefix ending in /*.',
);

export const robotSchema = apiComponent(
  z.strictObject({
    name: z.string().describe('Login name, robot$PROJECT+NAME.'),
    project: z.string().optional(),
    permissions: z.array(robotPermissionSchema),
    expiresAt: time.optional(),
    disabled: z.boolean(),
    description: z.string().optional(),
    createdAt: time,
  }),
  'Robot',
  'A robot account; its token is stored only as a hash.',
);

export const createRobotSchema = apiComponent(
  z.strictObject({
    name: projectNameSchema.describe('Short name; the login name becomes robot$PROJECT+NAME.'),
    permissions: z
      .array(
        z.strictObject({
          repository: z
            .string()
            .max(255)
            .optional()
            .describe('A repository of the project (team/app) or a prefix ending in /* (team/ci/*).'),
          actions: z.array(actionSchema).min(1).max(3),
        }),
      )
      .min(1)
      .max(100),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('ISO 8601 time in the future; omitted: never expires.'),
    description: z.string().max(1024).optional(),
  }),
  'CreateRobot',
  'A new robot of the project in the path; its permissions are in that project.',
);

export const createdRobotSchema = apiComponent(
  z.strictObject({
    robot: robotSchema,
    token: z.string().describe('The robot token: shown this once, stored only as a SHA-256 hash.'),
  }),
  'CreatedRobot',
  'A robot just created, with its token.',
);

export const errorBodySchema = apiComponent(
  z.strictObject({
    errors: z
      .array(
        z.strictObject({
          code: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]),
          message: z.string(),
        }),
      )
      .min(1)
      .max(1),
  }),
  'Error',
  'An error: a stable code and a message naming the input at fault.',
);

/** A robot named in a path: its short name (`ci`) or login name (`robot$team+ci`) in the project. */
export function robotLoginOf(project: string, name: string): string | undefined {
  if (isValidProjectName(name)) return robotLoginName(name, project);
  const parsed = parseRobotLoginName(name);
  return parsed?.project === project ? name : undefined;
}

/** A documented error response. */
export function errorDoc(description: string): { description: string; schema: typeof errorBodySchema } {
  return { description, schema: errorBodySchema };
}

/** The 401 every authenticated route may answer. */
export const UNAUTHORIZED_DOC = errorDoc('No or bad credentials (UNAUTHORIZED, with a Basic challenge)');
/** The 403 of a caller without the right. */
export const DENIED_DOC = errorDoc('Not allowed (DENIED)');
