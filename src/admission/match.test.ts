import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../imageref/index.js';
import { compileImageGlob, matchesAnyImageGlob, matchesLabelSelector } from './index.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('image globs (docs/admission.md)', () => {
  it.each([
    ['ghcr.io/acme/*', 'ghcr.io/acme/app:1', true],
    ['ghcr.io/acme/*', 'ghcr.io/acme/team/app', false],
    ['ghcr.io/acme/*', 'ghcr.io/acmecorp/app', false],
    ['ghcr.io/acme/**', 'ghcr.io/acme/team/app', true],
    ['ghcr.io/acme/**', 'ghcr.io/acme', false],
    ['nginx', 'nginx:1.27', true],
    ['nginx', `docker.io/library/nginx@${DIGEST}`, true],
    ['nginx', 'ghcr.io/x/nginx', false],
    ['nginx*', 'nginx-unprivileged', true],
    ['docker.io/nginx', 'nginx', true],
    ['index.docker.io/library/nginx', 'nginx', true],
    ['acme/*', 'acme/app', true],
    ['acme/*', 'docker.io/acme/app', true],
    ['**', 'ghcr.io/anything/at/all:1', true],
    ['*', 'nginx', false],
    ['my-registry.io/**', 'my-registry.io.evil.com/x', false],
    ['my-registry.io/**', 'my-registry.io-evil/x', false],
    ['my-registry.io*/**', 'my-registry.io.evil.com/x', true],
    ['localhost:5000/app', 'localhost:5000/app:1', true],
    ['localhost:5000/app', 'localhost:5001/app:1', false],
    ['ghcr.io/acme/app:v*', 'ghcr.io/acme/app:v1.2', true],
    ['ghcr.io/acme/app:v*', 'ghcr.io/acme/app:main', false],
    ['ghcr.io/acme/app:v*', `ghcr.io/acme/app@${DIGEST}`, false],
    ['ghcr.io/acme/app:latest', 'ghcr.io/acme/app', true],
    [`ghcr.io/acme/app@sha256:b*`, `ghcr.io/acme/app@${DIGEST}`, true],
    [`ghcr.io/acme/app@sha256:c*`, `ghcr.io/acme/app@${DIGEST}`, false],
    ['ghcr.io/acme/app-[ab]', 'ghcr.io/acme/app-b', true],
    ['ghcr.io/acme/app-[ab]', 'ghcr.io/acme/app-c', false],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/app', true],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/ap/p', false],
    // A regex metacharacter in a glob is literal.
    ['ghcr.io/acme/a.b', 'ghcr.io/acme/axb', false],
  ])('%s vs %s → %s', (glob, image, expected) => {
    expect(compileImageGlob(glob).test(parseImageRef(image))).toBe(expected);
    expect(matchesAnyImageGlob(image, [glob])).toBe(expected);
  });

  it('matches an unparsable reference only with **', () => {
    expect(matchesAnyImageGlob('Not A Ref', ['*', 'Not*'])).toBe(false);
    expect(matchesAnyImageGlob('Not A Ref', ['**'])).toBe(true);
  });
});

describe('label selectors', () => {
  it.each([
    [{}, {}, true],
    [{ matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
    [{ matchLabels: { a: '1' } }, { a: '2' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In' as const, values: ['1', '2'] }] }, { a: '2' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'In' as const, values: ['1'] }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' as const, values: ['1'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' as const, values: ['1'] }] }, { a: '1' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' as const }] }, { a: '' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' as const }] }, { a: '' }, false],
    [
      { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' as const }] },
      { a: '1' },
      false,
    ],
  ])('%j on %j → %s', (selector, labels, expected) => {
    expect(matchesLabelSelector(selector, labels)).toBe(expected);
  });
});
