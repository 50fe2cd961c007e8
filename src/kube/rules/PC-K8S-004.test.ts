import { annotationSecret } from './PC-K8S-004.js';
import { describeRuleCases, FAKE_PASSWORD } from './testdata/cases.js';

const PASS = FAKE_PASSWORD;
const b64 = Buffer.from(PASS).toString('base64');

describeRuleCases(annotationSecret, [
  {
    name: 'ordinary annotations, checksums and store paths',
    yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  annotations:
    description: the web front end
    checksum/secret: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
spec:
  template:
    metadata:
      annotations:
        vault.hashicorp.com/agent-inject-secret-db: database/creds/app
    spec:
      containers: [{ name: app, image: app:1 }]
`,
    lines: [],
  },
  {
    name: 'a token in an annotation of the pod template',
    yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    metadata:
      annotations:
        example.com/api-token: "${PASS}"
    spec:
      containers: [{ name: app, image: app:1 }]
`,
    lines: [9],
    messageContains: ['example.com/api-token'],
    secrets: [PASS],
  },
  {
    name: "last-applied-configuration of a Secret keeps the Secret's data, each inner path reported",
    yaml: `apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"password":"${b64}","user":"YWRtaW4="}}
data: {}
`,
    lines: [6, 6],
    messageContains: ['data.'],
    secrets: [PASS, b64],
  },
  {
    name: 'last-applied-configuration of a Deployment with an env password',
    yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"LOG","value":"debug"},{"name":"DB_PASSWORD","value":"${PASS}"}]}]}}}}'
spec:
  template:
    spec:
      containers: [{ name: app, image: app:1 }]
`,
    lines: [6],
    messageContains: ['spec.template.spec.containers[0].env[1].value'],
    secrets: [PASS],
  },
  {
    name: 'unparsable last-applied-configuration is left alone',
    yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{not json'
`,
    lines: [],
  },
]);
