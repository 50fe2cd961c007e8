import { z } from 'zod';
import {
  addUser,
  authenticateBasic,
  setUserPassword,
  type AccountStore,
  type User,
} from '../../auth/index.js';
import { isActiveSystemAdmin } from './context.js';
import { ApiError } from './errors.js';
import { defineApiRoute, type ApiRoute } from './route.js';
import {
  changePasswordSchema,
  createUserSchema,
  errorDoc,
  updateUserSchema,
  userNameSchema,
  userSchema,
} from './schema.js';

// /api/v1/users: system administrators manage accounts; users may read their own and change
// their own password. Bodies carry passwords in; nothing carries a hash out (User has none).

const userPath = z.strictObject({ name: userNameSchema });
const USERS = '/api/v1/users';
const USER = `${USERS}/{name}`;

const NO_USER = errorDoc('No such user (NOT_FOUND)');
const LAST_ADMIN = errorDoc('The last active system administrator (CONFLICT)');

async function userOrNotFound(store: AccountStore, name: string): Promise<User> {
  const user = await store.getUser(name);
  if (user === undefined) throw new ApiError('NOT_FOUND', `no user "${name}"`);
  return user;
}

/** Keeps one active system administrator: without one, nobody could manage the registry. */
async function refuseLastAdmin(store: AccountStore, user: User, what: string): Promise<void> {
  if (user.systemAdmin && !user.disabled && (await store.countActiveSystemAdmins()) <= 1) {
    throw new ApiError('CONFLICT', `cannot ${what} ${user.name}: it is the last active system administrator`);
  }
}

/** The users routes. */
export const USER_ROUTES: readonly ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: USERS,
    operationId: 'listUsers',
    summary: 'List users',
    tag: 'users',
    access: 'system-admin',
    responses: {
      200: { description: 'The users', schema: z.strictObject({ users: z.array(userSchema) }) },
    },
    handler: async (_req, ctx) => ({ status: 200, body: { users: await ctx.store.listUsers() } }),
  }),
  defineApiRoute({
    method: 'POST',
    path: USERS,
    operationId: 'createUser',
    summary: 'Create a user',
    description:
      'The password must meet the registry policy (at least 8 characters); it is hashed with argon2id.',
    tag: 'users',
    access: 'system-admin',
    body: createUserSchema,
    responses: {
      201: { description: 'The user created', schema: userSchema },
      400: errorDoc('Bad name, password or body (INVALID)'),
      409: errorDoc('The user exists (ALREADY_EXISTS)'),
    },
    change: ({ body }) => ({
      what: `user:${body.name} created${body.systemAdmin === true ? ' as system administrator' : ''}`,
    }),
    handler: async ({ body }, ctx) => {
      const user = await addUser(ctx.store, {
        name: body.name,
        password: body.password,
        systemAdmin: body.systemAdmin ?? false,
      });
      return { status: 201, body: user };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: USER,
    operationId: 'getUser',
    summary: 'Get a user',
    description: 'System administrators, or the user themselves.',
    tag: 'users',
    access: 'authenticated',
    params: userPath,
    responses: {
      200: { description: 'The user', schema: userSchema },
      404: NO_USER,
    },
    handler: async ({ params, caller, raw }, ctx) => {
      const self = caller.subject.kind === 'user' && caller.subject.name === params.name;
      if (!self) ctx.requireSystemAdmin(raw, caller, "reading another user's account");
      return { status: 200, body: await userOrNotFound(ctx.store, params.name) };
    },
  }),
  defineApiRoute({
    method: 'PATCH',
    path: USER,
    operationId: 'updateUser',
    summary: 'Disable or enable a user',
    description:
      'A disabled user cannot log in, and tokens already issued to them stop working here. The last active system administrator cannot be disabled (CONFLICT).',
    tag: 'users',
    access: 'system-admin',
    params: userPath,
    body: updateUserSchema,
    responses: {
      200: { description: 'The user', schema: userSchema },
      404: NO_USER,
      409: LAST_ADMIN,
    },
    change: ({ params, body }) => ({ what: `user:${params.name} ${body.disabled ? 'disabled' : 'enabled'}` }),
    handler: async ({ params, body }, ctx) => {
      const user = await userOrNotFound(ctx.store, params.name);
      if (body.disabled) await refuseLastAdmin(ctx.store, user, 'disable');
      return { status: 200, body: await ctx.store.updateUser(user.name, { disabled: body.disabled }) };
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: USER,
    operationId: 'deleteUser',
    summary: 'Delete a user',
    description:
      'Removes the user and their project memberships. The last active system administrator cannot be deleted (CONFLICT).',
    tag: 'users',
    access: 'system-admin',
    params: userPath,
    responses: {
      204: { description: 'Deleted' },
      404: NO_USER,
      409: LAST_ADMIN,
    },
    change: ({ params }) => ({ what: `user:${params.name} deleted` }),
    handler: async ({ params }, ctx) => {
      const user = await userOrNotFound(ctx.store, params.name);
      await refuseLastAdmin(ctx.store, user, 'delete');
      await ctx.store.deleteUser(user.name);
      return { status: 204 };
    },
  }),
  defineApiRoute({
    method: 'PUT',
    path: `${USER}/password`,
    operationId: 'changePassword',
    summary: "Change a user's password",
    description:
      'System administrators may set any password; users may change their own, giving the current one in currentPassword.',
    tag: 'users',
    access: 'authenticated',
    params: userPath,
    body: changePasswordSchema,
    responses: {
      204: { description: 'Changed' },
      400: errorDoc('Bad password or body, or currentPassword missing (INVALID)'),
      403: errorDoc('Not the user or a system administrator, or currentPassword is wrong (DENIED)'),
      404: NO_USER,
    },
    change: ({ params }) => ({ what: `user:${params.name} password changed` }),
    handler: async ({ params, body, caller, raw }, ctx) => {
      const self = caller.subject.kind === 'user' && caller.subject.name === params.name;
      if (!isActiveSystemAdmin(caller.subject)) {
        if (!self)
          throw ctx.deny(raw, caller, "changing another user's password needs a system administrator");
        if (body.currentPassword === undefined)
          throw new ApiError('INVALID', 'body.currentPassword: required to change your own password');
        const check = await authenticateBasic(ctx.store, params.name, body.currentPassword);
        if (!check.ok) throw ctx.deny(raw, caller, 'currentPassword does not match');
      }
      await userOrNotFound(ctx.store, params.name);
      await setUserPassword(ctx.store, params.name, body.password);
      return { status: 204 };
    },
  }),
  defineApiRoute({
    method: 'PUT',
    path: `${USER}/system-admin`,
    operationId: 'grantSystemAdmin',
    summary: 'Make a user a system administrator',
    tag: 'users',
    access: 'system-admin',
    params: userPath,
    responses: {
      200: { description: 'The user', schema: userSchema },
      404: NO_USER,
    },
    change: ({ params }) => ({ what: `user:${params.name} system administrator granted` }),
    handler: async ({ params }, ctx) => {
      await userOrNotFound(ctx.store, params.name);
      return { status: 200, body: await ctx.store.updateUser(params.name, { systemAdmin: true }) };
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: `${USER}/system-admin`,
    operationId: 'revokeSystemAdmin',
    summary: 'Take system administration from a user',
    description: 'The last active system administrator keeps it (CONFLICT).',
    tag: 'users',
    access: 'system-admin',
    params: userPath,
    responses: {
      200: { description: 'The user', schema: userSchema },
      404: NO_USER,
      409: LAST_ADMIN,
    },
    change: ({ params }) => ({ what: `user:${params.name} system administrator revoked` }),
    handler: async ({ params }, ctx) => {
      const user = await userOrNotFound(ctx.store, params.name);
      await refuseLastAdmin(ctx.store, user, 'revoke system administration from');
      return { status: 200, body: await ctx.store.updateUser(params.name, { systemAdmin: false }) };
    },
  }),
];
