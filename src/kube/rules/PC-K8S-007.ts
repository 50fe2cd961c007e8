import { asString } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

/** Secrets of type kubernetes.io/service-account-token: long-lived API tokens. */
export const legacyTokenSecret: ObjectRule = {
  meta: {
    id: 'PC-K8S-007',
    severity: 'medium',
    title: 'Long-lived service account token Secret',
    hint: 'Use short-lived tokens: projected serviceAccountToken volumes in pods, kubectl create token (TokenRequest) elsewhere; delete token Secrets you do not need.',
    docs: 'docs/rules/PC-K8S-007.md',
    equivalents: {},
  },
  *check(object) {
    if (object.resource.kind !== 'Secret') return;
    if (asString(object.object['type']) !== 'kubernetes.io/service-account-token') return;
    yield {
      path: ['type'],
      message:
        'Secret of type kubernetes.io/service-account-token asks the cluster for a token that never expires',
    } satisfies RuleHit;
  },
};
