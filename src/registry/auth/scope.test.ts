import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/index.js';
import { formatScope, MAX_SCOPES, parseScope, parseScopes, tryParseScope } from './scope.js';

describe('parseScope', () => {
  it.each([
    ['repository:team/app:pull', { type: 'repository', name: 'team/app', actions: ['pull'] }],
    ['repository:team/app:push,pull', { type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
    ['repository:team/app:pull,pull', { type: 'repository', name: 'team/app', actions: ['pull'] }],
    ['repository:team/a/b:*', { type: 'repository', name: 'team/a/b', actions: ['pull', 'push', 'delete'] }],
    ['repository:team/app:delete', { type: 'repository', name: 'team/app', actions: ['delete'] }],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
  ])('reads %s', (input, expected) => {
    expect(parseScope(input)).toEqual(expected);
    expect(parseScope(formatScope(parseScope(input)))).toEqual(expected);
  });

  it.each([
    ['', 'expected TYPE:NAME:ACTIONS'],
    ['repository', 'expected TYPE:NAME:ACTIONS'],
    ['repository:team/app', 'expected TYPE:NAME:ACTIONS'],
    [':team/app:pull', 'expected TYPE:NAME:ACTIONS'],
    ['repository::pull', 'distribution grammar'],
    ['repository:team/app:', 'comma-separated'],
    ['repository:team/app:pull,', 'comma-separated'],
    ['repository:team/app:pull push', 'comma-separated'],
    ['repository:team/app:admin', 'unknown action admin'],
    ['repository:Team/app:pull', 'distribution grammar'],
    ['repository:team/../app:pull', 'distribution grammar'],
    ['repository:team/%2e%2e/app:pull', 'distribution grammar'],
    ['repository:localhost:5000/team/app:pull', 'distribution grammar'],
    [`repository:team/${'a'.repeat(260)}:pull`, 'distribution grammar'],
    [`repository:team/${'a'.repeat(600)}:pull`, 'longer than'],
    ['registry:catalog:pull', 'registry:catalog:*'],
    ['registry:other:*', 'registry:catalog:*'],
    ['repository(plugin):team/app:pull', 'type must be repository or registry'],
    ['user:alice:*', 'type must be repository or registry'],
    ['repository:team/app:pull\n', 'comma-separated'],
  ])('refuses %j', (input, why) => {
    expect(() => parseScope(input)).toThrow(expect.objectContaining({ code: 'SCOPE_INVALID' }) as Error);
    try {
      parseScope(input);
    } catch (err) {
      expect(isPortcullisError(err) && err.message).toContain(why);
      // Error messages stay short whatever the input length.
      expect(isPortcullisError(err) && err.message.length).toBeLessThan(300);
    }
    expect(tryParseScope(input)).toBeUndefined();
  });
});

describe('parseScopes', () => {
  it('splits on spaces, merges scopes for one repository and keeps the catalog', () => {
    expect(
      parseScopes([
        'repository:team/app:pull repository:lib/base:pull',
        'repository:team/app:push',
        'registry:catalog:*',
      ]),
    ).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'lib/base', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('ignores empty values and repeated spaces', () => {
    expect(parseScopes(['', '  repository:team/app:pull  '])).toHaveLength(1);
    expect(parseScopes([])).toEqual([]);
  });

  it('refuses more than the cap and one bad scope among good ones', () => {
    const many = Array.from({ length: MAX_SCOPES + 1 }, (_, i) => `repository:team/app${i}:pull`);
    expect(() => parseScopes(many)).toThrow(/more than 32 scopes/);
    expect(() => parseScopes([many.join(' ')])).toThrow(/more than 32 scopes/);
    expect(() => parseScopes(['repository:team/app:pull', 'repository:team/app:sudo'])).toThrow(
      /unknown action/,
    );
    expect(() => parseScopes(['x'.repeat(100_000)])).toThrow(/too long/);
  });
});
