import { configMapCredentials } from './PC-K8S-002.js';
import { describeRuleCases, FAKE_AWS_KEY_ID, FAKE_PASSWORD } from './testdata/cases.js';

const PASS = FAKE_PASSWORD;
const AWS_KEY = FAKE_AWS_KEY_ID;

const cm = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
${data}`;

describeRuleCases(configMapCredentials, [
  { name: 'settings only', yaml: cm('  message: hello\n  db_user: postgres\n'), lines: [] },
  { name: 'no data', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n', lines: [] },
  {
    name: 'secret-like key with a real value',
    yaml: cm(`  db_user: postgres\n  db_password: "${PASS}"\n`),
    lines: [7],
    messageContains: ['db_password'],
    secrets: [PASS],
  },
  {
    name: 'credential inside a config file value, with its line',
    yaml: cm(`  app.env: |\n    LOG_LEVEL=debug\n    REDIS_PASSWORD=${PASS}\n`),
    lines: [6],
    messageContains: ['line 2', 'REDIS_PASSWORD'],
    secrets: [PASS],
  },
  {
    name: 'engine match under an innocent key',
    yaml: cm(`  aws: "${AWS_KEY}"\n`),
    lines: [6],
    secrets: [AWS_KEY],
  },
  {
    name: 'empty and templated values',
    yaml: cm(
      '  config: REDIS_PASSWORD=\n  env: REDIS_PASSWORD=${REDIS_PASSWORD}\n  AWS_SECRET_ACCESS_KEY: xxxxx\n',
    ),
    lines: [],
  },
  {
    name: 'not a ConfigMap',
    yaml: `apiVersion: v1\nkind: Service\nmetadata:\n  name: s\ndata:\n  password: "${PASS}"\n`,
    lines: [],
  },
]);
