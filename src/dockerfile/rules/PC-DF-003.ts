import { matchesRepositoryPrefix, tryParseImageRef, tryParseRepositoryPrefix } from '../../imageref/index.js';
import type { DockerfileRule } from '../types.js';
import { externalStages, findingAt } from './util.js';

/** Base image from outside the trusted registry or repository prefixes (runs only when a list is given). */
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
    // Prefixes match on path boundaries after normalization: `ghcr.io/acme` trusts
    // `ghcr.io/acme/app` but not `ghcr.io/acmecorp/app`, and `my-registry.io` never trusts
    // `my-registry.io.evil.com/x`. An entry that is not a valid prefix trusts nothing.
    const prefixes = trusted.flatMap((t) => tryParseRepositoryPrefix(t.trim()) ?? []);
    return externalStages(model).flatMap((s) => {
      const ref = tryParseImageRef(s.image);
      if (ref !== undefined && prefixes.some((p) => matchesRepositoryPrefix(ref, p))) return [];
      const from = ref === undefined ? 'an unparsable reference' : `${ref.registry}/${ref.repository}`;
      return [
        findingAt(
          this,
          model,
          s.from,
          `base image ${s.image} comes from ${from}, which is not under a trusted registry or repository prefix`,
        ),
      ];
    });
  },
};
