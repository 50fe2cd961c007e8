import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { describeRuleCases, runRule } from '../rules/testdata/cases.js';
import { apiServerWithoutEncryption } from './apiserver-flag.js';

const apiserver = (args: string) => `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.31.0
${args}`;

describeRuleCases(apiServerWithoutEncryption, [
  {
    name: 'kubeadm-style command without the flag',
    yaml: apiserver(
      '      command:\n        - kube-apiserver\n        - --etcd-servers=https://127.0.0.1:2379\n',
    ),
    lines: [10],
    messageContains: ['container "kube-apiserver"', '--encryption-provider-config'],
  },
  {
    name: 'the flag with =',
    yaml: apiserver(
      '      command:\n        - kube-apiserver\n        - --encryption-provider-config=/etc/kubernetes/enc.yaml\n',
    ),
    lines: [],
  },
  {
    name: 'the flag and its value as two arguments, in args',
    yaml: apiserver(
      '      command: [/usr/local/bin/kube-apiserver]\n      args: [--encryption-provider-config, /etc/kubernetes/enc.yaml]\n',
    ),
    lines: [],
  },
  {
    name: 'the binary named in args only',
    yaml: apiserver('      args: [kube-apiserver, --v=2]\n'),
    lines: [10],
  },
  {
    name: 'other containers and workloads',
    yaml: apiserver('      command: [kube-controller-manager]\n'),
    lines: [],
  },
]);

describe('PC-K8S-095 on Checkov example_ApiServerEncryptionProviders', () => {
  const dir = (): string =>
    sharedData('lint-audit', 'k8s', 'checkov', 'example_ApiServerEncryptionProviders');
  it.each([
    ['ApiServerEncryptionProviders-FAILED.yaml', 1],
    ['ApiServerEncryptionProviders-PASSED.yaml', 0],
  ])('%s: %i finding(s), as Checkov CKV_K8S_104', (file, count) => {
    expect(runRule(apiServerWithoutEncryption, readFileSync(path.join(dir(), file), 'utf8'))).toHaveLength(
      count,
    );
  });
});
