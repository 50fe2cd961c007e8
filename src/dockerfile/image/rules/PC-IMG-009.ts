import type { ImageRule } from '../types.js';

/** True when the config's Healthcheck is missing or disabled (`["NONE"]`). */
function healthcheckState(check: unknown): 'missing' | 'disabled' | 'set' {
  if (typeof check !== 'object' || !check) return 'missing';
  const test: unknown = (check as { Test?: unknown }).Test;
  if (!Array.isArray(test) || test.length === 0) return 'missing';
  return test[0] === 'NONE' ? 'disabled' : 'set';
}

/** No HEALTHCHECK in the image config (Docker format; OCI configs cannot carry one). */
export const noHealthcheck: ImageRule = {
  id: 'PC-IMG-009',
  severity: 'info',
  title: 'No HEALTHCHECK in the image',
  hint: 'Add a HEALTHCHECK to the Dockerfile (and build in Docker format), or define liveness and readiness probes where the image is deployed.',
  docs: 'docs/rules/PC-IMG-009.md',
  equivalents: { dockle: ['CIS-DI-0006'], trivy: ['DS-0026'] },
  checkConfig({ config }) {
    const state = healthcheckState(config.config?.Healthcheck);
    if (state === 'set') return [];
    return [
      {
        message:
          state === 'disabled'
            ? 'the image config disables the health check (HEALTHCHECK NONE)'
            : 'the image config has no HEALTHCHECK',
      },
    ];
  },
};
