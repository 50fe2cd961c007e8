import { describe, expect, it } from 'vitest';
import { requiredAccess } from './access.js';

const D = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';

describe('the access each distribution request needs', () => {
  it.each([
    ['GET', '/v2/', []],
    ['GET', '/v2/_catalog?n=10', []],
    ['GET', '/v2/team/app/tags/list?n=2', [{ type: 'repository', name: 'team/app', actions: ['pull'] }]],
    ['HEAD', '/v2/team/app/manifests/v1', [{ type: 'repository', name: 'team/app', actions: ['pull'] }]],
    ['GET', `/v2/team/app/blobs/${D}`, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]],
    ['GET', `/v2/team/app/referrers/${D}`, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]],
    [
      'PUT',
      '/v2/team/app/manifests/v1',
      [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
    ],
    ['DELETE', '/v2/team/app/manifests/v1', [{ type: 'repository', name: 'team/app', actions: ['delete'] }]],
    ['DELETE', `/v2/team/app/blobs/${D}`, [{ type: 'repository', name: 'team/app', actions: ['delete'] }]],
    [
      'POST',
      '/v2/team/app/blobs/uploads/',
      [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
    ],
    [
      'PATCH',
      '/v2/team/app/blobs/uploads/0b0a3a53-5a38-4bb1-9a8e-1c2f3e4d5a6b',
      [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
    ],
    [
      'POST',
      `/v2/team/app/blobs/uploads/?mount=${D}&from=other/base`,
      [
        { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
        { type: 'repository', name: 'other/base', actions: ['pull'] },
      ],
    ],
  ])('%s %s', (method, url, expected) => {
    expect(requiredAccess(method, url)).toEqual(expected);
  });

  it.each([
    '/v2/team/%2e%2e/app/tags/list',
    '/v2/../etc/tags/list',
    `/v2/team/app/blobs/uploads/?mount=${D}&from=../x`,
  ])('refuses the malformed name in %s', (url) => {
    expect(() => requiredAccess(url.includes('uploads') ? 'POST' : 'GET', url)).toThrow(
      expect.objectContaining({ code: 'NAME_INVALID' }),
    );
  });
});
