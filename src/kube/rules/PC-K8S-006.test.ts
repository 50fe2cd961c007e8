import { parsePolicy } from '../../policy/index.js';
import { pullSecretContents } from './PC-K8S-006.js';
import { describeRuleCases, FAKE_PASSWORD } from './testdata/cases.js';

const PASS = FAKE_PASSWORD;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (
  config: string,
  type = 'kubernetes.io/dockerconfigjson',
  key = '.dockerconfigjson',
) => `apiVersion: v1
kind: Secret
metadata:
  name: pull
type: ${type}
data:
  ${key}: ${b64(config)}
`;

const policy = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
registries:
  trusted: [registry.example.com]
`);

describeRuleCases(pullSecretContents, [
  {
    name: 'auth holding user:password',
    yaml: secret(JSON.stringify({ auths: { 'registry.example.com': { auth: b64(`robot:${PASS}`) } } })),
    lines: [7],
    messageContains: ['robot', 'registry.example.com'],
    secrets: [PASS, b64(`robot:${PASS}`)],
  },
  {
    name: 'plaintext password field and a second registry',
    yaml: secret(
      JSON.stringify({
        auths: {
          'registry.example.com': { username: 'robot', password: PASS },
          'https://index.docker.io/v1/': { identitytoken: PASS },
        },
      }),
    ),
    lines: [7, 7, 7],
    severities: ['high', 'high', 'low'],
    secrets: [PASS],
  },
  {
    name: 'registries outside the policy',
    policy,
    yaml: secret(JSON.stringify({ auths: { 'ghcr.io': {}, 'registry.example.com': {} } })),
    lines: [7, 7],
    severities: ['medium', 'low'],
    messageContains: ['registr'],
  },
  {
    name: 'a repository prefix admits its registry; Docker Hub under its v1 URL',
    policy: parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
registries:
  trusted: [ghcr.io/acme, docker.io/library/]
`),
    yaml:
      secret(JSON.stringify({ auths: { 'GHCR.io': {} } })) +
      '---\n' +
      secret(JSON.stringify({ auths: { 'https://index.docker.io/v1/': {} } })) +
      '---\n' +
      secret(JSON.stringify({ auths: { 'quay.io': {} } })),
    lines: [23],
    severities: ['medium'],
    messageContains: ['quay.io'],
  },
  {
    name: 'malformed: not JSON, no auths, bad auth, missing key',
    yaml: [
      secret('{nope'),
      secret(JSON.stringify({ credsStore: 'desktop' })),
      secret(JSON.stringify({ auths: { 'registry.example.com': { auth: 'bm9jb2xvbg==' } } })),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\ntype: kubernetes.io/dockerconfigjson\ndata: {}\n',
    ].join('---\n'),
    lines: [7, 15, 23, 29],
    severities: ['medium', 'medium', 'medium', 'medium'],
  },
  {
    name: 'legacy .dockercfg in stringData',
    yaml: `apiVersion: v1
kind: Secret
metadata:
  name: pull
type: kubernetes.io/dockercfg
stringData:
  .dockercfg: '{"quay.io":{"auth":"${b64(`u:${PASS}`)}"}}'
`,
    lines: [7],
    secrets: [PASS],
  },
  {
    name: 'no credentials, one registry; other Secret types',
    yaml:
      secret(JSON.stringify({ auths: { 'registry.example.com': {} } })) +
      '---\n' +
      secret('{}', 'Opaque', 'x'),
    lines: [],
  },
]);
