import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import { DISTRIBUTION_2_8_DIFFERENCES, registerConformanceSuite, type ConformanceTarget } from './index.js';

// The conformance port run against our registry (as a maintainer of the project, through the
// token flow) and, as a check on the checks, against Debian's docker-registry (CNCF
// distribution 2.8, no authentication, deletes enabled by startRegistry's configuration), where
// the checks listed in DISTRIBUTION_2_8_DIFFERENCES are expected to fail.

const api = { describe, it, expect };

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} has not started`);
  return value;
}

describe('against portcullis', () => {
  let registry: TestPortcullisRegistry | undefined;
  beforeAll(async () => {
    registry = await startPortcullisRegistry({
      projects: [{ name: 'conformance' }],
      users: { conformer: { roles: { conformance: 'maintainer' } } },
    });
  });
  afterAll(async () => {
    await registry?.stop();
  });
  const target = (): ConformanceTarget => {
    const r = started(registry, 'our registry');
    return {
      url: r.url,
      credentials: { username: 'conformer', password: r.password('conformer') },
      namespace: 'conformance/suite',
      crossmountNamespace: 'conformance/crossmount',
    };
  };
  registerConformanceSuite(api, target, { referrers: true });
});

describe('against docker-registry', () => {
  let registry: TestRegistry | undefined;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });
  const target = (): ConformanceTarget => ({
    url: started(registry, 'docker-registry').url,
    namespace: 'conformance/suite',
    crossmountNamespace: 'conformance/crossmount',
  });
  registerConformanceSuite(api, target, { referrers: false, differences: DISTRIBUTION_2_8_DIFFERENCES });
});
