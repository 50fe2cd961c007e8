import { imageLatest } from './PC-K8S-009.js';
import { describeRuleCases } from './testdata/cases.js';

const pod = (images: string[]) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
${images.map((im, i) => `    - name: c${i}\n      image: ${im}\n`).join('')}`;

describeRuleCases(imageLatest, [
  {
    name: 'version tags and digests',
    yaml: pod(['nginx:1.27', `nginx@sha256:${'a'.repeat(64)}`, `nginx:latest@sha256:${'b'.repeat(64)}`]),
    lines: [],
  },
  {
    name: 'untagged, latest, registry with a port',
    yaml: pod(['nginx:1.27', 'nginx', 'ghcr.io/acme/app:latest', 'localhost:5000/app']),
    lines: [10, 12, 14],
    messageContains: ['container "c'],
  },
  {
    name: 'a Job template',
    yaml: `apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template:
    spec:
      initContainers: [{ name: init, image: "busybox" }]
      containers: [{ name: run, image: "busybox:1.36" }]
`,
    lines: [8],
    messageContains: ['init container "init"'],
  },
  {
    name: 'image volumes are pulled too',
    yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers: [{ name: a, image: "a:1" }]
  volumes:
    - name: models
      image:
        reference: registry.example.com/models
`,
    lines: [10],
    messageContains: ['image volume "models"'],
  },
]);
