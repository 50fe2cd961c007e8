import { z } from 'zod';
import { addProject, addRobot, type Project } from '../../auth/index.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { isActiveSystemAdmin } from './context.js';
import { ApiError } from './errors.js';
import { defineApiRoute, type ApiRoute } from './route.js';
import {
  createProjectSchema,
  createRobotSchema,
  createdRobotSchema,
  errorDoc,
  membershipSchema,
  projectNameSchema,
  projectSchema,
  robotLoginOf,
  robotSchema,
  setMemberSchema,
  updateProjectSchema,
  userNameSchema,
} from './schema.js';

// /api/v1/projects with their members and robots. Projects the caller may not see answer 404,
// so their names are not revealed; members and robots are managed by the project's admins and
// system administrators (authorizeProjectAdmin).

const PROJECTS = '/api/v1/projects';
const PROJECT = `${PROJECTS}/{name}`;
const projectPath = z.strictObject({ name: projectNameSchema });
const memberPath = z.strictObject({ name: projectNameSchema, user: userNameSchema });
const robotPath = z.strictObject({
  name: projectNameSchema,
  robot: z.string().max(200).describe('The robot short name (ci) or login name (robot$team+ci).'),
});
const NO_PROJECT = errorDoc('No such project, or one the caller may not see (NOT_FOUND)');

/**
 * Repositories of `project` that still have a tag (at most `max`). Repository names sort
 * lexically, so the project's repositories (`project/...`) come one after another from `project/`.
 */
async function taggedRepositories(metadata: MetadataStore, project: string, max: number): Promise<string[]> {
  const prefix = `${project}/`;
  const found: string[] = [];
  let last = prefix;
  for (;;) {
    const page = await metadata.listRepositories({ n: 100, last });
    for (const repo of page) {
      if (!repo.startsWith(prefix)) return found;
      if ((await metadata.listTags(repo, { n: 1 })).length > 0) {
        found.push(repo);
        if (found.length >= max) return found;
      }
    }
    const end = page[page.length - 1];
    if (end === undefined || page.length < 100) return found;
    last = end;
  }
}

/** A robot's permissions for its audit record: `team/ci/*:pull,push`, the project when no repository. */
function permissionsText(
  project: string,
  permissions: readonly { readonly repository?: string | undefined; readonly actions: readonly string[] }[],
): string {
  return permissions.map((p) => `${p.repository ?? project}:${p.actions.join(',')}`).join(' ');
}

/** The projects, members and robots routes. */
export const PROJECT_ROUTES: readonly ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: PROJECTS,
    operationId: 'listProjects',
    summary: 'List the projects the caller may see',
    description:
      'System administrators see every project; other users the public ones and those they belong to.',
    tag: 'projects',
    access: 'authenticated',
    responses: {
      200: { description: 'The projects', schema: z.strictObject({ projects: z.array(projectSchema) }) },
    },
    handler: async ({ caller }, ctx) => {
      const all = await ctx.store.listProjects();
      const subject = caller.subject;
      if (isActiveSystemAdmin(subject)) return { status: 200, body: { projects: all } };
      const projects: Project[] = [];
      for (const p of all) {
        if (
          p.public ||
          (subject.kind === 'user' && (await ctx.store.getRole(p.name, subject.name)) !== undefined)
        )
          projects.push(p);
      }
      return { status: 200, body: { projects } };
    },
  }),
  defineApiRoute({
    method: 'POST',
    path: PROJECTS,
    operationId: 'createProject',
    summary: 'Create a project',
    tag: 'projects',
    access: 'system-admin',
    body: createProjectSchema,
    responses: {
      201: { description: 'The project created', schema: projectSchema },
      400: errorDoc('Bad name or body (INVALID)'),
      409: errorDoc('The project exists (ALREADY_EXISTS)'),
    },
    change: ({ body }) => ({
      what: `project:${body.name} created${body.public === true ? ' public' : ''}`,
      project: body.name,
    }),
    handler: async ({ body }, ctx) => ({
      status: 201,
      body: await addProject(ctx.store, { name: body.name, public: body.public ?? false }),
    }),
  }),
  defineApiRoute({
    method: 'GET',
    path: PROJECT,
    operationId: 'getProject',
    summary: 'Get a project',
    tag: 'projects',
    access: 'authenticated',
    params: projectPath,
    responses: {
      200: { description: 'The project', schema: projectSchema },
      404: NO_PROJECT,
    },
    handler: async ({ params, caller }, ctx) => ({
      status: 200,
      body: await ctx.visibleProject(caller, params.name),
    }),
  }),
  defineApiRoute({
    method: 'PATCH',
    path: PROJECT,
    operationId: 'updateProject',
    summary: 'Make a project public or private',
    description: 'Project administrators and system administrators.',
    tag: 'projects',
    access: 'authenticated',
    params: projectPath,
    body: updateProjectSchema,
    responses: {
      200: { description: 'The project', schema: projectSchema },
      400: errorDoc('Bad name or body (INVALID)'),
      404: NO_PROJECT,
    },
    change: ({ params, body }) => ({
      what: `project:${params.name} made ${body.public ? 'public' : 'private'}`,
      project: params.name,
    }),
    handler: async ({ params, body, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "changing a project's visibility");
      return { status: 200, body: await ctx.store.setProjectPublic(params.name, body.public) };
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: PROJECT,
    operationId: 'deleteProject',
    summary: 'Delete a project',
    description:
      'System administrators only. Refused (CONFLICT) while any repository of the project has a tag: delete the tags first. Deleting removes the project with its memberships and robots; untagged manifests and blobs left in its repositories are reachable only by system administrators until garbage collection removes them.',
    tag: 'projects',
    access: 'system-admin',
    params: projectPath,
    responses: {
      204: { description: 'Deleted' },
      404: NO_PROJECT,
      409: errorDoc('Repositories of the project still have tags (CONFLICT)'),
    },
    change: ({ params }) => ({ what: `project:${params.name} deleted`, project: params.name }),
    handler: async ({ params, caller }, ctx) => {
      await ctx.visibleProject(caller, params.name);
      const tagged = await taggedRepositories(ctx.metadata, params.name, 5);
      if (tagged.length > 0) {
        throw new ApiError(
          'CONFLICT',
          `project ${params.name} is not empty: ${tagged.join(', ')}${tagged.length >= 5 ? ' and more' : ''} still have tags`,
        );
      }
      await ctx.store.deleteProject(params.name);
      return { status: 204 };
    },
  }),

  defineApiRoute({
    method: 'GET',
    path: `${PROJECT}/members`,
    operationId: 'listMembers',
    summary: "List a project's members",
    description: 'Project administrators and system administrators.',
    tag: 'members',
    access: 'authenticated',
    params: projectPath,
    responses: {
      200: { description: 'The members', schema: z.strictObject({ members: z.array(membershipSchema) }) },
      404: NO_PROJECT,
    },
    handler: async ({ params, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "listing a project's members");
      return { status: 200, body: { members: await ctx.store.listMembers(params.name) } };
    },
  }),
  defineApiRoute({
    method: 'PUT',
    path: `${PROJECT}/members/{user}`,
    operationId: 'setMember',
    summary: 'Add a member or change their role',
    description: 'Project administrators and system administrators.',
    tag: 'members',
    access: 'authenticated',
    params: memberPath,
    body: setMemberSchema,
    responses: {
      200: { description: 'The membership', schema: membershipSchema },
      400: errorDoc('Bad name, role or body (INVALID)'),
      404: errorDoc('No such project or user (NOT_FOUND)'),
    },
    change: ({ params, body }) => ({
      what: `member:${params.name}/${params.user} set to ${body.role}`,
      project: params.name,
    }),
    handler: async ({ params, body, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "managing a project's members");
      if ((await ctx.store.getUser(params.user)) === undefined)
        throw new ApiError('NOT_FOUND', `no user "${params.user}"`);
      return { status: 200, body: await ctx.store.setMember(params.name, params.user, body.role) };
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: `${PROJECT}/members/{user}`,
    operationId: 'removeMember',
    summary: 'Remove a member',
    description: 'Project administrators and system administrators.',
    tag: 'members',
    access: 'authenticated',
    params: memberPath,
    responses: {
      204: { description: 'Removed' },
      404: errorDoc('No such project or membership (NOT_FOUND)'),
    },
    change: ({ params }) => ({
      what: `member:${params.name}/${params.user} removed`,
      project: params.name,
    }),
    handler: async ({ params, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "managing a project's members");
      await ctx.store.removeMember(params.name, params.user);
      return { status: 204 };
    },
  }),

  defineApiRoute({
    method: 'GET',
    path: `${PROJECT}/robots`,
    operationId: 'listRobots',
    summary: "List a project's robots",
    description: 'Project administrators and system administrators. Tokens are never shown again.',
    tag: 'robots',
    access: 'authenticated',
    params: projectPath,
    responses: {
      200: { description: 'The robots', schema: z.strictObject({ robots: z.array(robotSchema) }) },
      404: NO_PROJECT,
    },
    handler: async ({ params, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "listing a project's robots");
      return { status: 200, body: { robots: await ctx.store.listRobots(params.name) } };
    },
  }),
  defineApiRoute({
    method: 'POST',
    path: `${PROJECT}/robots`,
    operationId: 'createRobot',
    summary: 'Create a robot',
    description:
      'Project administrators and system administrators. The answer holds the token, shown this once; the robot logs in as robot$PROJECT+NAME with it.',
    tag: 'robots',
    access: 'authenticated',
    params: projectPath,
    body: createRobotSchema,
    responses: {
      201: { description: 'The robot and its token', schema: createdRobotSchema },
      400: errorDoc('Bad name, permission, expiry or body (INVALID)'),
      404: NO_PROJECT,
      409: errorDoc('The robot exists (ALREADY_EXISTS)'),
    },
    change: ({ params, body }) => ({
      what: `robot:${robotLoginOf(params.name, body.name) ?? body.name} created (${permissionsText(params.name, body.permissions)})`,
      project: params.name,
    }),
    handler: async ({ params, body, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "creating a project's robots");
      const expiresAt = body.expiresAt === undefined ? undefined : new Date(body.expiresAt);
      if (expiresAt !== undefined && expiresAt.getTime() <= Date.now())
        throw new ApiError('INVALID', 'body.expiresAt: must be in the future');
      const created = await addRobot(ctx.store, {
        name: body.name,
        project: params.name,
        permissions: body.permissions.map((p) => ({
          project: params.name,
          ...(p.repository === undefined ? {} : { repository: p.repository }),
          actions: p.actions,
        })),
        ...(expiresAt === undefined ? {} : { expiresAt }),
        ...(body.description === undefined ? {} : { description: body.description }),
      });
      return { status: 201, body: created };
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: `${PROJECT}/robots/{robot}`,
    operationId: 'deleteRobot',
    summary: 'Delete a robot',
    description: 'Project administrators and system administrators. Its token stops working at once.',
    tag: 'robots',
    access: 'authenticated',
    params: robotPath,
    responses: {
      204: { description: 'Deleted' },
      404: errorDoc('No such project or robot (NOT_FOUND)'),
    },
    change: ({ params }) => ({
      what: `robot:${robotLoginOf(params.name, params.robot) ?? params.robot} deleted`,
      project: params.name,
    }),
    handler: async ({ params, caller, raw }, ctx) => {
      await ctx.requireProjectAdmin(raw, caller, params.name, "deleting a project's robots");
      const login = robotLoginOf(params.name, params.robot);
      if (login === undefined)
        throw new ApiError('INVALID', `path.robot: expected a robot name of project ${params.name}`);
      await ctx.store.deleteRobot(login);
      return { status: 204 };
    },
  }),
];
