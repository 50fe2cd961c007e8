// Every registered rule over objects of the right kind and the wrong shape (what a broken
// template or a hand-edited file produces): the audit must report what it can and never throw.
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../load/parse.js';
import { KUBE_RULES } from '../rules/index.js';
import { auditBundle } from './audit.js';

const KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'PodTemplate',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
];

// Values of every YAML type in the places rules read.
const ODD = ['nope', '42', 'true', '[]', '{}', '[1, "x", null]', '{a: {b: [c]}}', '~'];

function variants(kind: string): string[] {
  const out: string[] = [];
  for (const odd of ODD) {
    out.push(
      `kind: ${kind}\nmetadata: ${odd}\nspec: ${odd}\n`,
      `kind: ${kind}\nmetadata: {name: x, annotations: ${odd}, labels: ${odd}}\ndata: ${odd}\nstringData: ${odd}\nrules: ${odd}\nsubjects: ${odd}\nroleRef: ${odd}\n`,
      `kind: ${kind}\nmetadata: {name: x, annotations: {portcullis.dev/ignore: ${odd}}}\nspec:\n  template: ${odd}\n  jobTemplate: {spec: {template: ${odd}}}\n`,
      `kind: ${kind}\nspec:\n  containers: ${odd}\n  initContainers: [${odd}]\n  securityContext: ${odd}\n  volumes: ${odd}\n  imagePullSecrets: ${odd}\n`,
      `kind: ${kind}\nspec:\n  containers:\n    - {name: ${odd}, image: ${odd}, env: ${odd}, envFrom: ${odd}, args: ${odd}, command: ${odd}, securityContext: ${odd}}\n    - env: [${odd}, {name: ${odd}, value: ${odd}, valueFrom: ${odd}}]\n      securityContext: {capabilities: ${odd}, runAsUser: ${odd}, privileged: ${odd}}\n`,
      `kind: ${kind}\ntemplate: {spec: {containers: [{image: ${odd}}]}}\naggregationRule: ${odd}\nrules: [${odd}, {verbs: ${odd}, resources: ${odd}, apiGroups: ${odd}, resourceNames: ${odd}}]\nsubjects: [${odd}, {kind: ${odd}, name: ${odd}}]\nroleRef: {kind: ${odd}, name: ${odd}}\n`,
      `kind: ${kind}\ntype: ${odd}\ndata: {.dockerconfigjson: ${odd}, password: ${odd}}\nautomountServiceAccountToken: ${odd}\nsecrets: ${odd}\nimagePullSecrets: [${odd}]\n`,
    );
  }
  return out;
}

describe('the audit on malformed objects', () => {
  it.each(KINDS)('never throws on a %s of the wrong shape', (kind) => {
    const inputs = variants(kind).map((text, i) => ({ file: `${kind}-${i}.yaml`, text }));
    const objects = loadManifests(inputs);
    expect(objects.length).toBe(inputs.length);
    expect(() => auditBundle(objects, { rules: KUBE_RULES })).not.toThrow();
  });

  it('never throws on deeply nested values that still parse', () => {
    const deep = (n: number) => `${'{a: '.repeat(n)}x${'}'.repeat(n)}`;
    const text = KINDS.map(
      (kind) =>
        `kind: ${kind}\nmetadata: {name: d, annotations: {x: ${JSON.stringify(JSON.stringify(JSON.parse(`${'{"a":'.repeat(800)}1${'}'.repeat(800)}`)))}}}\ndata: ${deep(800)}\nspec: {containers: [{name: c, image: i, env: [{name: X_PASSWORD, value: ${deep(800)}}]}]}\n`,
    ).join('---\n');
    const objects = loadManifests([{ file: 'deep.yaml', text }]);
    expect(objects).toHaveLength(KINDS.length);
    expect(() => auditBundle(objects, { rules: KUBE_RULES })).not.toThrow();
  });

  it('never throws on a bundle of all of them together (cross-object rules)', () => {
    const inputs = KINDS.flatMap((kind) =>
      variants(kind).map((text, i) => ({ file: `${kind}-${i}.yaml`, text })),
    );
    const report = auditBundle(loadManifests(inputs), { rules: KUBE_RULES });
    expect(report.findings.every((f) => f.line >= 1)).toBe(true);
  });
});
