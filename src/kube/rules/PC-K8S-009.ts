import { tryParseImageRef } from '../../imageref/index.js';
import { podImages, podOf } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Images that name no tag, or `latest`, and no digest: what runs changes under the same manifest. */
export const imageLatest: ObjectRule = {
  meta: {
    id: 'PC-K8S-009',
    severity: 'medium',
    title: 'Image is untagged or uses latest',
    hint: 'Name a fixed version tag, better a digest (name:tag@sha256:…), so every node runs the image that was reviewed and scanned.',
    docs: 'docs/rules/PC-K8S-009.md',
    equivalents: {
      kubeScore: ['container-image-tag'],
      polaris: ['tagNotSpecified'],
      trivy: ['KSV-0013'],
      checkov: ['CKV_K8S_14'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const { label, image, path } of podImages(pod)) {
      const ref = tryParseImageRef(image);
      // An unparsable reference fails at pull time; nothing to say about its tag.
      if (ref === undefined || ref.digest !== undefined) continue;
      if (ref.tag !== undefined && ref.tag !== 'latest') continue;
      yield {
        path,
        message: `${label} runs ${image}, ${ref.tag === undefined ? 'which has no tag (latest)' : 'tagged latest'} and no digest`,
      } satisfies RuleHit;
    }
  },
};
