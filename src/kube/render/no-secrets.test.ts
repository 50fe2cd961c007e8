// The acceptance rule: no output format contains a full secret value from the
// fixtures. Every registered rule runs over a bundle with secrets in each place the rules look,
// and text, JSON and SARIF are searched for each value as written, base64-encoded and
// JSON-escaped.
import { describe, expect, it } from 'vitest';
import { auditAndRenderAll, findLeakedSecrets } from '../../testing/audit.js';
import { KUBE_RULES } from '../rules/index.js';

// Made-up credentials, assembled so that no full value sits in the source.
const PASSWORD = 'Tr0ub4dor' + '-9xQ-env';
const ARG_PASSWORD = 'Hx7!' + 'pQ2zLm9wRt';
const GITHUB_TOKEN = 'ghp_' + 'Zq8LmN3xV7bT2pR9sK4wY6hJ1cF5dG0aE2uQ';
const AWS_KEY_ID = 'AKIA' + 'Q3EGRT5YJ7WLMN2P';
const DB_URL_PASSWORD = 'Vb4n' + 'Qz8sLx2k';
const SECRET_DATA = 'S3cr' + 'etValue-42x';
const STRING_DATA = 'plain' + 'Text-Pa55w0rd';
const REGISTRY_PASSWORD = 'reg' + 'Pa55-9931xq';

const SECRETS = [
  PASSWORD,
  ARG_PASSWORD,
  GITHUB_TOKEN,
  AWS_KEY_ID,
  DB_URL_PASSWORD,
  SECRET_DATA,
  STRING_DATA,
  REGISTRY_PASSWORD,
];

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

const dockerConfig = JSON.stringify({
  auths: {
    'registry.example.com': { auth: b64(`robot:${REGISTRY_PASSWORD}`), password: REGISTRY_PASSWORD },
  },
});

const lastApplied = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  spec: { template: { spec: { containers: [{ env: [{ name: 'GITHUB_TOKEN', value: GITHUB_TOKEN }] }] } } },
});

const BUNDLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: ${JSON.stringify(lastApplied)}
    example.com/deploy-token: ${GITHUB_TOKEN}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/shop/web:1.2.3
          args: ["--db-password=${ARG_PASSWORD}", "--verbose"]
          env:
            - name: DB_PASSWORD
              value: "${PASSWORD}"
            - name: AWS_ACCESS_KEY_ID
              value: ${AWS_KEY_ID}
            - name: HELPER
              value: ${GITHUB_TOKEN}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  DATABASE_URL: postgres://app:${DB_URL_PASSWORD}@db.shop:5432/app
  api_token: ${GITHUB_TOKEN}
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  password: ${b64(SECRET_DATA)}
stringData:
  other: ${STRING_DATA}
---
apiVersion: v1
kind: Secret
metadata:
  name: pull
  namespace: shop
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${b64(dockerConfig)}
`;

describe('audit output never holds a full secret', () => {
  const rendered = auditAndRenderAll(BUNDLE, KUBE_RULES);

  it('the bundle does trigger the secret rules (so the search below means something)', () => {
    const ids = new Set(rendered.report.findings.map((f) => f.ruleId));
    for (const id of ['PC-K8S-001', 'PC-K8S-002', 'PC-K8S-003', 'PC-K8S-004', 'PC-K8S-005', 'PC-K8S-006']) {
      expect(ids, id).toContain(id);
    }
  });

  it('text, JSON and SARIF hold no secret value, raw, base64 or JSON-escaped', () => {
    expect(findLeakedSecrets(rendered, SECRETS)).toEqual([]);
  });

  it('nor do suppressed findings (they are in the JSON)', () => {
    const suppressedAll = BUNDLE.replace(
      '  annotations:\n    kubectl',
      '  annotations:\n    portcullis.dev/ignore: "PC-K8S-001, PC-K8S-003, PC-K8S-004 fixture"\n    kubectl',
    );
    const r = auditAndRenderAll(suppressedAll, KUBE_RULES);
    expect(r.report.suppressed.length).toBeGreaterThan(0);
    expect(findLeakedSecrets(r, SECRETS)).toEqual([]);
  });
});
