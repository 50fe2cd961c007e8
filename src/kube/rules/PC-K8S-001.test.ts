import { envSecretLiteral } from './PC-K8S-001.js';
import { describeRuleCases, FAKE_GITHUB_TOKEN, FAKE_PASSWORD } from './testdata/cases.js';

const GH_TOKEN = FAKE_GITHUB_TOKEN;
const PASS = FAKE_PASSWORD;

const pod = (env: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: app:1
      env:
${env}`;

describeRuleCases(envSecretLiteral, [
  { name: 'no env', yaml: pod('        []\n'), lines: [] },
  {
    name: 'secret-like name with a real value',
    yaml: pod(`        - name: DB_PASSWORD\n          value: "${PASS}"\n`),
    lines: [11],
    messageContains: ['container "app"', 'DB_PASSWORD'],
    secrets: [PASS],
  },
  {
    name: 'token recognised by the secret engine under any name',
    yaml: pod(`        - name: HELPER\n          value: ${GH_TOKEN}\n`),
    lines: [11],
    messageContains: ['github'],
    secrets: [GH_TOKEN],
  },
  {
    name: 'placeholders, references, paths and empty values are not credentials',
    yaml: pod(
      [
        '        - name: PASSWORD\n          value: changeme',
        '        - name: API_TOKEN\n          value: $(TOKEN_FROM_SECRET)',
        '        - name: SECRET_KEY\n          value: "${SECRET_KEY}"',
        '        - name: GOOGLE_APPLICATION_CREDENTIALS\n          value: /var/secrets/google/key.json',
        '        - name: TOKEN\n          value: ""',
        '        - name: PASSWORD_FILE\n          value: /run/secrets/db',
        '        - name: greeting\n          value: hello',
        '        - name: TOKEN_AUDIENCE\n          value: vault',
        '        - name: API_KEY\n          value: abc',
        '        - name: ACCESS_KEY\n          value: "SOME VALUE"',
      ].join('\n') + '\n',
    ),
    lines: [],
  },
  {
    name: 'valueFrom is the right way',
    yaml: pod(
      '        - name: PASSWORD\n          valueFrom:\n            secretKeyRef: { name: db, key: password }\n',
    ),
    lines: [],
  },
  {
    name: 'init and ephemeral containers of a CronJob',
    yaml: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - name: setup
              image: setup:1
              env:
                - { name: ADMIN_TOKEN, value: "${PASS}" }
          containers:
            - name: run
              image: run:1
              env:
                - name: user
                  value: postgres
                - name: my_password
                  value: abc123
`,
    lines: [15, 23],
    messageContains: ['container "'],
    secrets: [PASS, 'abc123'],
  },
  {
    name: 'private key header in a value',
    yaml: pod(
      '        - name: the_good_stuff\n          value: |\n            -----BEGIN OPENSSH PRIVATE KEY-----\n            b3BlbnNzaC1rZXktdjEAAAAA\n',
    ),
    lines: [11],
    messageContains: ['private'],
  },
]);
