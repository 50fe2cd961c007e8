import { parsePolicy } from '../../policy/index.js';
import { imageRegistryNotAllowed } from './PC-K8S-010.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - { name: a, image: "registry.example.com/team/app:1" }
    - { name: b, image: "nginx:1.27" }
    - { name: c, image: "ghcr.io/acmecorp/tool:2" }
`;

const trusted = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
registries:
  trusted: [registry.example.com, ghcr.io/acme]
`);

const rules = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
registries:
  trusted: [registry.example.com]
rules:
  - name: hub-too
    kind: allowedRegistries
    registries: [docker.io/library/]
  - name: trusted
    kind: allowedRegistries
`);

describeRuleCases(imageRegistryNotAllowed, [
  { name: 'no policy: nothing to compare with', yaml: pod, lines: [] },
  {
    name: 'registries.trusted, matched on path boundaries',
    yaml: pod,
    policy: trusted,
    lines: [8, 9],
    messageContains: ['outside the allowed registries'],
  },
  { name: 'union of allowedRegistries rules', yaml: pod, policy: rules, lines: [9] },
]);
