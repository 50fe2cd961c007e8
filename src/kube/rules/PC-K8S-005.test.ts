import { secretInBundle } from './PC-K8S-005.js';
import { describeRuleCases, FAKE_PASSWORD } from './testdata/cases.js';

const PASS = FAKE_PASSWORD;
const b64 = Buffer.from(PASS).toString('base64');

describeRuleCases(secretInBundle, [
  {
    name: 'data and stringData, each reported with its keys',
    yaml: `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: ${b64}
stringData:
  token: "${PASS}"
`,
    lines: [6, 8],
    messageContains: ['Opaque'],
    secrets: [PASS, b64],
  },
  {
    name: 'empty and placeholder values are a template, not a leak',
    yaml: `apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  password: ""
  token: ${Buffer.from('changeme').toString('base64')}
stringData:
  key: <your-key-here>
`,
    lines: [],
  },
  {
    name: 'no data at all',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: empty\n',
    lines: [],
  },
  {
    name: 'docker-registry and token Secrets belong to PC-K8S-006 and PC-K8S-007',
    yaml: `apiVersion: v1
kind: Secret
metadata:
  name: pull
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: e30=
---
apiVersion: v1
kind: Secret
metadata:
  name: tok
type: kubernetes.io/service-account-token
data:
  token: ${b64}
`,
    lines: [],
  },
]);
