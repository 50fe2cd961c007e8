import {
  createSuite,
  type ConformanceGroup,
  type ConformanceOptions,
  type ConformanceTarget,
  type ConformanceTestApi,
} from './context.js';
import { registerContentDiscovery } from './discovery.js';
import { registerContentManagement } from './management.js';
import { registerPull } from './pull.js';
import { registerPush } from './push.js';

// A TypeScript port of the OCI distribution-spec conformance suite's four workflows
// (opencontainers/distribution-spec conformance/0[1-4]_*_test.go), with its test names, so a
// run reads like the Go suite's report. Checks run in the Go suite's order and share state
// the way its specs do (a check reads what an earlier one left), so they are never shuffled.
// Environment-only specs (pre-seeded tags or digests, OCI_AUTOMATIC_CROSSMOUNT) are left out.

/** Every workflow, in the Go suite's order. */
export const CONFORMANCE_GROUPS: readonly ConformanceGroup[] = [
  'pull',
  'push',
  'content-discovery',
  'content-management',
];

/**
 * Registers the conformance checks as vitest tests, inside a `describe` of the caller's.
 * `target` is read when the first check runs, so the caller may start the registry in a
 * `beforeAll`. A final check fails when `options.differences` names a check that does not
 * exist (a renamed check must not silently drop its expected failure).
 */
export function registerConformanceSuite(
  api: ConformanceTestApi,
  target: () => ConformanceTarget,
  options: ConformanceOptions,
): void {
  const suite = createSuite(api, target, options);
  const groups = new Set(options.groups ?? CONFORMANCE_GROUPS);
  api.describe('OCI Distribution Conformance Tests', () => {
    if (groups.has('pull')) registerPull(suite);
    if (groups.has('push')) registerPush(suite);
    if (groups.has('content-discovery')) registerContentDiscovery(suite);
    if (groups.has('content-management')) registerContentManagement(suite);
    api.it('lists only differences that name a registered check', () => {
      const unknown = Object.keys(options.differences ?? {}).filter((name) => !suite.registered.has(name));
      api.expect(unknown).toEqual([]);
    });
  });
}
