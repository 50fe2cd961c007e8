import { commandLineSecret } from './PC-K8S-003.js';
import { describeRuleCases, FAKE_PASSWORD } from './testdata/cases.js';

const PASS = FAKE_PASSWORD;

const pod = (lines: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: db-client
      image: mysql:8
${lines}`;

describeRuleCases(commandLineSecret, [
  {
    name: 'ordinary flags',
    yaml: pod(
      '      command: [server]\n      args: ["--port=8080", "-p", "3306", "--password-file=/run/secrets/db"]\n',
    ),
    lines: [],
  },
  {
    name: '--password=value',
    yaml: pod(`      command: [server]\n      args:\n        - --verbose\n        - --db-password=${PASS}\n`),
    lines: [12],
    messageContains: ['args[1]', '--db-password='],
    secrets: [PASS],
  },
  {
    name: '--token value, the value in the next word',
    yaml: pod(`      command: [cli, --token, "${PASS}"]\n`),
    lines: [9],
    messageContains: ['command[1]'],
    secrets: [PASS],
  },
  {
    name: 'mysql -pSECRET',
    yaml: pod(`      command: [mysql, -uroot, -p${PASS}]\n`),
    lines: [9],
    secrets: [PASS],
  },
  {
    name: 'inside a shell script, and credentials in a URL',
    yaml: pod(
      `      command: [sh, -c]\n      args:\n        - mysqldump -h db -u root -p${PASS} app > /backup.sql\n        - psql postgres://app:${PASS}@db:5432/app\n`,
    ),
    lines: [11, 12],
    secrets: [PASS],
  },
  {
    name: 'references to env vars are fine',
    yaml: pod('      command: [sh, -c, "mysql -p$MYSQL_PASSWORD --password=$(DB_PASSWORD)"]\n'),
    lines: [],
  },
]);
