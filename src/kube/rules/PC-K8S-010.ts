import { matchesRepositoryPrefix } from '../../imageref/index.js';
import { podImages, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';
import { allowedRegistries } from './policy-lists.js';

/** Images from registries the policy does not allow (allowedRegistries rules, registries.trusted). */
export const imageRegistryNotAllowed: ObjectRule = {
  meta: {
    id: 'PC-K8S-010',
    severity: 'high',
    title: 'Image comes from a registry the policy does not allow',
    hint: "Mirror the image into one of the policy's registries (and reference it there), or add its registry to registries.trusted if it is meant to be trusted.",
    docs: 'docs/rules/PC-K8S-010.md',
    equivalents: {},
  },
  *check(object, context) {
    const allowed = allowedRegistries(context.policy);
    if (allowed === undefined) return;
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const { label, image, path } of podImages(pod)) {
      if (allowed.some((p) => matchesRepositoryPrefix(image, p))) continue;
      yield {
        path,
        message: `${label} runs ${image}, which is outside the allowed registries (${allowed.join(', ') || 'none'})`,
      } satisfies RuleHit;
    }
  },
};
