import { tryParseImageRef } from '../../imageref/index.js';
import type { DockerfileRule } from '../types.js';
import { externalStages, findingAt } from './util.js';

/** Base image from a registry outside the trusted list (runs only when a list is given). */
export const untrustedRegistry: DockerfileRule = {
  id: 'PC-DF-003',
  severity: 'high',
  title: 'Base image comes from a registry that is not trusted',
  hint: 'Pull base images from a trusted registry (or mirror them there).',
  docs: 'docs/rules/PC-DF-003.md',
  equivalents: {},
  check(model, ctx) {
    const trusted = ctx.trustedRegistries;
    if (trusted === undefined) return [];
    const hosts = new Set(trusted.map(normalizeRegistry));
    return externalStages(model).flatMap((s) => {
      const ref = tryParseImageRef(s.image);
      const registry = ref?.registry ?? '(unparsable reference)';
      if (ref !== undefined && hosts.has(ref.registry.toLowerCase())) return [];
      return [
        findingAt(this, model, s.from, `base image ${s.image} comes from ${registry}, which is not trusted`),
      ];
    });
  },
};

function normalizeRegistry(host: string): string {
  const h = host.trim().toLowerCase().replace(/\/+$/, '');
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}
