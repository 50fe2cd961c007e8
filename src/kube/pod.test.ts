import { describe, expect, it } from 'vitest';
import {
  effectiveSetting,
  podOf,
  POD_KINDS,
  referenceNames,
  sameNamespace,
  serviceAccountName,
} from './pod.js';

const spec = {
  securityContext: { runAsUser: 1000 },
  initContainers: [{ name: 'init', image: 'i:1' }],
  containers: [{ name: 'app', image: 'a:1', securityContext: { runAsUser: 0 } }, 'not a container'],
  ephemeralContainers: [{ image: 'debug:1' }],
};
const template = { metadata: { annotations: { a: 'b' } }, spec };

// Where each kind keeps its pod template, written out independently of pod.ts's table.
const objects: Record<string, unknown> = {
  Pod: { metadata: { annotations: { a: 'b' } }, spec },
  Deployment: { spec: { template } },
  ReplicaSet: { spec: { template } },
  StatefulSet: { spec: { template } },
  DaemonSet: { spec: { template } },
  Job: { spec: { template } },
  ReplicationController: { spec: { template } },
  PodTemplate: { template },
  CronJob: { spec: { jobTemplate: { spec: { template } } } },
};

describe('podOf', () => {
  it.each(POD_KINDS.map((k) => [k] as const))(
    'finds the pod of a %s, every container list, skipping junk',
    (kind) => {
      const pod = podOf(kind, objects[kind]);
      expect(pod?.metadata).toEqual({ annotations: { a: 'b' } });
      expect(pod?.containers.map((c) => [c.list, c.index, c.name])).toEqual([
        ['containers', 0, 'app'],
        ['initContainers', 0, 'init'],
        ['ephemeralContainers', 0, 'ephemeralContainers[0]'],
      ]);
      expect(pod?.containers[0]?.path).toEqual([...(pod?.specPath ?? []), 'containers', 0]);
    },
  );

  it('covers exactly the kinds that run pods', () => {
    expect([...POD_KINDS].sort()).toEqual(Object.keys(objects).sort());
    expect(podOf('ConfigMap', { data: {} })).toBeUndefined();
  });

  it('never throws on malformed objects', () => {
    for (const bad of [
      undefined,
      'x',
      1,
      [],
      { spec: 'x' },
      { spec: { template: { spec: { containers: 'x' } } } },
    ]) {
      expect(() => podOf('Deployment', bad)).not.toThrow();
      expect(podOf('Deployment', bad)?.containers ?? []).toEqual([]);
    }
  });
});

describe('effective settings', () => {
  it("takes the container's field, else the pod's, with the path where it was set", () => {
    const pod = podOf('Pod', { spec });
    const [app, init] = pod?.containers ?? [];
    if (pod === undefined || app === undefined || init === undefined) throw new Error('fixture');
    expect(effectiveSetting(pod, app, 'runAsUser')).toEqual({
      value: 0,
      path: ['spec', 'containers', 0, 'securityContext', 'runAsUser'],
    });
    expect(effectiveSetting(pod, init, 'runAsUser')).toEqual({
      value: 1000,
      path: ['spec', 'securityContext', 'runAsUser'],
    });
    expect(effectiveSetting(pod, init, 'runAsNonRoot')).toBeUndefined();
  });

  it('names the ServiceAccount: serviceAccountName, the deprecated serviceAccount, or default', () => {
    const sa = (s: object) => serviceAccountName(podOf('Pod', { spec: { containers: [], ...s } }) ?? fail());
    expect(sa({ serviceAccountName: 'a', serviceAccount: 'b' })).toBe('a');
    expect(sa({ serviceAccount: 'b' })).toBe('b');
    expect(sa({ serviceAccountName: '' })).toBe('default');
  });

  it('reads reference lists and namespaces leniently', () => {
    expect(referenceNames([{ name: 'a' }, { name: '' }, 'x', {}, { name: 'b' }])).toEqual(['a', 'b']);
    expect(referenceNames('x')).toEqual([]);
    expect(sameNamespace(undefined, 'x')).toBe(true);
    expect(sameNamespace('x', 'y')).toBe(false);
  });
});

function fail(): never {
  throw new Error('no pod');
}
