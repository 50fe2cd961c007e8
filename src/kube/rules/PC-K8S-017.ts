import { asArray, asRecord, asString, describeContainer, podOf, isWindowsPod } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';

// Capabilities that amount to root on the node or break isolation (Polaris's dangerous list plus
// the ones container escapes use).
const DANGEROUS = new Set([
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'DAC_READ_SEARCH',
  'BPF',
  'PERFMON',
]);
// The one capability the restricted Pod Security Standard lets a container add.
const HARMLESS = new Set(['NET_BIND_SERVICE']);

/** `CAP_SYS_ADMIN` and `sys_admin` name SYS_ADMIN. */
function capabilityName(value: string): string {
  return value.toUpperCase().replace(/^CAP_/, '');
}

/** Added capabilities, and containers that keep the runtime's default set (no drop ALL). */
export const addedCapabilities: ObjectRule = {
  meta: {
    id: 'PC-K8S-017',
    severity: 'medium',
    title: 'Container adds capabilities or does not drop ALL',
    hint: 'Set securityContext.capabilities.drop: [ALL] and add back only what the program needs (NET_BIND_SERVICE at most, for a low port).',
    docs: 'docs/rules/PC-K8S-017.md',
    equivalents: {
      trivy: ['KSV-0003', 'KSV-0005', 'KSV-0022'],
      polaris: ['dangerousCapabilities', 'insecureCapabilities'],
      kubeaudit: ['capabilities'],
      kubesec: ['CapSysAdmin', 'CapDropAll', 'CapDropAny'],
      checkov: ['CKV_K8S_25', 'CKV_K8S_28', 'CKV_K8S_37', 'CKV_K8S_39'],
    },
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined || isWindowsPod(pod)) return;
    for (const c of pod.containers) {
      const caps = asRecord(c.securityContext['capabilities']);
      const capsPath = [...c.path, 'securityContext', 'capabilities'];
      const add = asArray(caps?.['add']);
      for (let i = 0; i < add.length; i++) {
        const raw = asString(add[i]);
        if (raw === undefined) continue;
        const name = capabilityName(raw);
        if (HARMLESS.has(name)) continue;
        yield {
          path: [...capsPath, 'add', i],
          message: `${describeContainer(c)} adds capability ${name}${DANGEROUS.has(name) ? ', which breaks container isolation' : ''}`,
          severity: DANGEROUS.has(name) ? 'high' : 'medium',
        } satisfies RuleHit;
      }
      const drop = asArray(caps?.['drop']).flatMap((d) => {
        const s = asString(d);
        return s === undefined ? [] : [capabilityName(s)];
      });
      if (drop.includes('ALL')) continue;
      yield {
        path: caps?.['drop'] !== undefined ? [...capsPath, 'drop'] : c.path,
        message: `${describeContainer(c)} does not drop ALL capabilities, so it keeps the runtime's default set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID, …)`,
        severity: 'low',
      } satisfies RuleHit;
    }
  },
};
