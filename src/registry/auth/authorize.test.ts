import { describe, expect, it } from 'vitest';
import {
  authorize,
  authorizeMount,
  authorizeProjectAdmin,
  filterCatalog,
  grantedActions,
  ROLE_ACTIONS,
} from './authorize.js';
import {
  ANONYMOUS,
  PROJECT_ROLES,
  REPOSITORY_ACTIONS,
  type ProjectFacts,
  type ProjectRole,
  type Subject,
} from './types.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const user = (name: string, extra: Partial<{ systemAdmin: boolean; disabled: boolean }> = {}): Subject => ({
  kind: 'user',
  name,
  systemAdmin: extra.systemAdmin ?? false,
  disabled: extra.disabled ?? false,
});
const facts = (name: string, isPublic: boolean, role?: ProjectRole): ProjectFacts => ({
  name,
  public: isPublic,
  role,
});

// The role table of issue 9, written out by hand rather than derived from ROLE_ACTIONS.
const EXPECTED: Record<ProjectRole, Record<'pull' | 'push' | 'delete', boolean>> = {
  admin: { pull: true, push: true, delete: true },
  maintainer: { pull: true, push: true, delete: true },
  developer: { pull: true, push: true, delete: false },
  guest: { pull: true, push: false, delete: false },
};

describe('the role matrix', () => {
  const cases = PROJECT_ROLES.flatMap((role) =>
    REPOSITORY_ACTIONS.flatMap((action) => [false, true].map((isPublic) => ({ role, action, isPublic }))),
  );
  it.each(cases)(
    '$role may $action on a public=$isPublic project as the table says',
    ({ role, action, isPublic }) => {
      const d = authorize(user('alice'), action, 'team/app', facts('team', isPublic, role), { now: NOW });
      expect(d.allowed).toBe(EXPECTED[role][action]);
      expect(d.reason).toBe(EXPECTED[role][action] ? 'project-role' : 'role-insufficient');
    },
  );

  it('matches the exported table', () => {
    for (const role of PROJECT_ROLES) {
      expect(REPOSITORY_ACTIONS.filter((a) => EXPECTED[role][a])).toEqual(ROLE_ACTIONS[role]);
    }
  });

  it.each(REPOSITORY_ACTIONS)('a non-member may %s only by pulling a public project', (action) => {
    const priv = authorize(user('bob'), action, 'team/app', facts('team', false), { now: NOW });
    expect(priv).toMatchObject({ allowed: false, reason: 'not-member' });
    const pub = authorize(user('bob'), action, 'team/app', facts('team', true), { now: NOW });
    expect(pub.allowed).toBe(action === 'pull');
    expect(pub.reason).toBe(action === 'pull' ? 'public-project' : 'not-member');
  });

  it.each(REPOSITORY_ACTIONS)('a system administrator may %s anywhere, even without a project', (action) => {
    expect(authorize(user('root', { systemAdmin: true }), action, 'team/app', undefined)).toMatchObject({
      allowed: true,
      reason: 'system-admin',
    });
  });
});

describe('anonymous and disabled subjects', () => {
  it.each([
    { action: 'pull' as const, isPublic: true, allowed: true, reason: 'public-project' },
    { action: 'pull' as const, isPublic: false, allowed: false, reason: 'anonymous' },
    { action: 'push' as const, isPublic: true, allowed: false, reason: 'anonymous' },
    { action: 'delete' as const, isPublic: true, allowed: false, reason: 'anonymous' },
    { action: 'push' as const, isPublic: false, allowed: false, reason: 'anonymous' },
  ])('anonymous $action on public=$isPublic: $reason', ({ action, isPublic, allowed, reason }) => {
    expect(authorize(ANONYMOUS, action, 'team/app', facts('team', isPublic))).toMatchObject({
      allowed,
      reason,
    });
  });

  it('anonymous pull of a project that does not exist is refused', () => {
    expect(authorize(ANONYMOUS, 'pull', 'ghost/app', undefined)).toMatchObject({
      allowed: false,
      reason: 'no-project',
    });
  });

  it.each(REPOSITORY_ACTIONS)(
    'a disabled user is denied %s even as project admin of a public project',
    (action) => {
      const d = authorize(user('eve', { disabled: true }), action, 'team/app', facts('team', true, 'admin'));
      expect(d).toMatchObject({ allowed: false, reason: 'disabled' });
    },
  );

  it('a disabled system administrator is denied', () => {
    const d = authorize(
      user('root', { systemAdmin: true, disabled: true }),
      'pull',
      'team/app',
      facts('team', true),
    );
    expect(d).toMatchObject({ allowed: false, reason: 'disabled' });
  });

  it('facts about another project than the repository are not trusted', () => {
    const d = authorize(user('alice'), 'push', 'other/app', facts('team', false, 'admin'));
    expect(d).toMatchObject({ allowed: false, reason: 'no-project' });
  });
});

describe('repository-name tricks', () => {
  it.each([
    'team/../other/app',
    'team/%2e%2e/app',
    'Team/app',
    'team//app',
    'app',
    '/team/app',
    'team/app/',
    `team/${'a'.repeat(300)}`,
    'localhost:5000/team/app',
    '',
  ])('%j is refused for every subject', (repository) => {
    for (const s of [ANONYMOUS, user('alice'), user('root', { systemAdmin: true })]) {
      const d = authorize(s, 'pull', repository, facts('team', true, 'admin'));
      expect(d).toMatchObject({ allowed: false, reason: 'invalid-repository' });
    }
  });
});

describe('robots', () => {
  const robot = (extra: Partial<Extract<Subject, { kind: 'robot' }>> = {}): Subject => ({
    kind: 'robot',
    name: 'robot$team+ci',
    project: 'team',
    permissions: [{ project: 'team', actions: ['pull', 'push'] }],
    expiresAt: '2026-12-31T00:00:00Z',
    disabled: false,
    ...extra,
  });

  it('may do what its permissions say in its project', () => {
    expect(authorize(robot(), 'push', 'team/app', facts('team', false), { now: NOW })).toMatchObject({
      allowed: true,
      reason: 'robot-permission',
    });
    expect(authorize(robot(), 'delete', 'team/app', facts('team', false), { now: NOW })).toMatchObject({
      allowed: false,
      reason: 'out-of-scope',
    });
  });

  it('is refused outside its project even if a permission names the other project', () => {
    const r = robot({ permissions: [{ project: 'other', actions: ['pull'] }] });
    expect(authorize(r, 'pull', 'other/app', facts('other', false), { now: NOW })).toMatchObject({
      allowed: false,
      reason: 'out-of-scope',
    });
  });

  it('is limited by repository patterns', () => {
    const r = robot({
      permissions: [
        { project: 'team', repository: 'team/ci/*', actions: ['push'] },
        { project: 'team', repository: 'team/app', actions: ['pull'] },
      ],
    });
    const f = facts('team', false);
    expect(authorize(r, 'push', 'team/ci/build', f, { now: NOW }).allowed).toBe(true);
    expect(authorize(r, 'push', 'team/ci', f, { now: NOW }).allowed).toBe(false);
    expect(authorize(r, 'push', 'team/cix/build', f, { now: NOW }).allowed).toBe(false);
    expect(authorize(r, 'pull', 'team/app', f, { now: NOW }).allowed).toBe(true);
    expect(authorize(r, 'pull', 'team/app2', f, { now: NOW }).allowed).toBe(false);
  });

  it('is refused once expired, and at the exact expiry instant', () => {
    const r = robot({ expiresAt: '2026-06-01T00:00:00Z' });
    expect(authorize(r, 'pull', 'team/app', facts('team', true), { now: NOW })).toMatchObject({
      allowed: false,
      reason: 'expired',
    });
    expect(authorize(r, 'pull', 'team/app', facts('team', true), { now: NOW - 1 }).allowed).toBe(true);
  });

  it('with an unreadable expiry is treated as expired', () => {
    const r = robot({ expiresAt: 'soon' });
    expect(authorize(r, 'pull', 'team/app', facts('team', true), { now: NOW }).reason).toBe('expired');
  });

  it('a disabled robot is refused', () => {
    expect(
      authorize(robot({ disabled: true }), 'pull', 'team/app', facts('team', false), { now: NOW }).reason,
    ).toBe('disabled');
  });

  it('a system robot with project * reaches every project', () => {
    const r = robot({
      project: undefined,
      name: 'robot$scanner',
      permissions: [{ project: '*', actions: ['pull'] }],
    });
    expect(authorize(r, 'pull', 'any/app', facts('any', false), { now: NOW }).allowed).toBe(true);
    expect(authorize(r, 'push', 'any/app', facts('any', false), { now: NOW }).allowed).toBe(false);
  });
});

describe('mounts, grants and the catalog', () => {
  it('a mount needs push on the target and pull on the source', () => {
    const alice = user('alice');
    const target = { repository: 'team/app', project: facts('team', false, 'developer') };
    const allowed = authorizeMount(alice, target, {
      repository: 'lib/base',
      project: facts('lib', false, 'guest'),
    });
    expect(allowed.allowed).toBe(true);
    const noSource = authorizeMount(alice, target, {
      repository: 'secret/base',
      project: facts('secret', false),
    });
    expect(noSource).toMatchObject({ allowed: false, reason: 'not-member' });
    expect(noSource.message).toContain('secret/base');
    const noTarget = authorizeMount(
      alice,
      { repository: 'team/app', project: facts('team', false, 'guest') },
      { repository: 'lib/base', project: facts('lib', true) },
    );
    expect(noTarget).toMatchObject({ allowed: false, reason: 'role-insufficient' });
  });

  it('grants only the allowed subset of requested actions', () => {
    expect(
      grantedActions(user('a'), ['delete', 'push', 'pull'], 'team/app', facts('team', false, 'developer')),
    ).toEqual(['pull', 'push']);
    expect(grantedActions(ANONYMOUS, ['pull', 'push'], 'team/app', facts('team', true))).toEqual(['pull']);
    expect(grantedActions(ANONYMOUS, ['pull', 'push'], 'team/app', facts('team', false))).toEqual([]);
  });

  it('filters the catalog to what the subject may pull', () => {
    const projects: Record<string, ProjectFacts> = {
      pub: facts('pub', true),
      mine: facts('mine', false, 'guest'),
      theirs: facts('theirs', false),
    };
    const repos = ['pub/a', 'mine/b', 'theirs/c', 'ghost/d', 'NOPE/e'];
    expect(filterCatalog(user('a'), repos, (p) => projects[p])).toEqual(['pub/a', 'mine/b']);
    expect(filterCatalog(ANONYMOUS, repos, (p) => projects[p])).toEqual(['pub/a']);
    expect(filterCatalog(user('root', { systemAdmin: true }), repos, (p) => projects[p])).toEqual([
      'pub/a',
      'mine/b',
      'theirs/c',
      'ghost/d',
    ]);
  });
});

describe('decisions as audit records', () => {
  it('carry subject, action and repository alongside the reason', () => {
    expect(authorize(user('alice'), 'push', 'team/app', facts('team', false, 'guest'))).toEqual({
      allowed: false,
      reason: 'role-insufficient',
      subject: 'user alice',
      action: 'push',
      repository: 'team/app',
      message: 'user alice denied push on team/app: role guest does not allow push',
    });
    const long = authorize(ANONYMOUS, 'pull', `team/${'a'.repeat(5000)}`, undefined);
    expect(long.repository.length).toBe(300);
    expect(long.message.length).toBeLessThan(400);
  });
});

describe('project administration', () => {
  it.each([
    { who: 'project admin', s: user('a'), role: 'admin' as const, allowed: true, reason: 'project-role' },
    {
      who: 'maintainer',
      s: user('a'),
      role: 'maintainer' as const,
      allowed: false,
      reason: 'role-insufficient',
    },
    { who: 'guest', s: user('a'), role: 'guest' as const, allowed: false, reason: 'role-insufficient' },
    { who: 'non-member', s: user('a'), role: undefined, allowed: false, reason: 'not-member' },
    {
      who: 'system admin',
      s: user('r', { systemAdmin: true }),
      role: undefined,
      allowed: true,
      reason: 'system-admin',
    },
    {
      who: 'disabled admin',
      s: user('a', { disabled: true }),
      role: 'admin' as const,
      allowed: false,
      reason: 'disabled',
    },
    { who: 'anonymous', s: ANONYMOUS, role: undefined, allowed: false, reason: 'anonymous' },
  ])('$who: $reason', ({ s, role, allowed, reason }) => {
    expect(authorizeProjectAdmin(s, facts('team', true, role), 'team')).toMatchObject({
      allowed,
      reason,
      action: 'manage',
    });
  });

  it('robots never manage projects, and facts for another project are not trusted', () => {
    const robot: Subject = {
      kind: 'robot',
      name: 'robot$team+ci',
      project: 'team',
      permissions: [{ project: 'team', actions: ['pull', 'push', 'delete'] }],
      expiresAt: undefined,
      disabled: false,
    };
    expect(authorizeProjectAdmin(robot, facts('team', false), 'team').allowed).toBe(false);
    expect(authorizeProjectAdmin(user('a'), facts('other', false, 'admin'), 'team').reason).toBe(
      'no-project',
    );
  });
});
