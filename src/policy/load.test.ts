import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { loadPolicyFile, MAX_POLICY_BYTES, parsePolicy, policyLocation } from './load.js';

const HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('expected a PolicyError');
}

describe('parsePolicy accepts', () => {
  it.each([
    ['the two required keys', HEAD, {}],
    [
      'a lint section',
      HEAD +
        'lint:\n  failOn: high\n  rules:\n    PC-DF-004: off\n    PC-DF-002: medium\n    PC-DF-010: { enabled: false }\n',
      {
        lint: {
          failOn: 'high',
          rules: { 'PC-DF-004': 'off', 'PC-DF-002': 'medium', 'PC-DF-010': { enabled: false } },
        },
      },
    ],
    [
      'trusted prefixes',
      HEAD + 'registries:\n  trusted: [ghcr.io/acme, "my-registry.io/", localhost:5000, nginx]\n',
      { registries: { trusted: ['ghcr.io/acme', 'my-registry.io/', 'localhost:5000', 'nginx'] } },
    ],
    [
      // Under YAML 1.2's core schema `off` and dates stay strings; YAML 1.1 would turn them
      // into false and a Date, and the schema would then refuse them.
      'YAML 1.2 scalars',
      HEAD +
        'rules:\n  - name: r\n    kind: vulnerabilities\n    failOn: high\n    ignore:\n      - { id: CVE-1, reason: r, expires: 2027-01-31 }\n',
      {
        rules: [
          {
            name: 'r',
            kind: 'vulnerabilities',
            failOn: 'high',
            ignore: [{ id: 'CVE-1', reason: 'r', expires: '2027-01-31' }],
          },
        ],
      },
    ],
    ['a byte-order mark is not content', '\uFEFF' + HEAD, {}],
  ])('%s', (_name, text, expected) => {
    expect(parsePolicy(text)).toMatchObject({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'Policy',
      ...expected,
    });
  });

  it('fills in rule defaults: mode enforce, onError deny, disallowTags latest', () => {
    const p = parsePolicy(HEAD + 'rules:\n  - { name: a, kind: disallowTags }\n');
    expect(p.rules).toEqual([
      { name: 'a', kind: 'disallowTags', mode: 'enforce', onError: 'deny', tags: ['latest'] },
    ]);
  });
});

describe('parsePolicy refuses, naming file:line:col and the key', () => {
  it.each([
    ['empty file', '', 'p.yaml: the file is empty'],
    ['only comments', '# nothing\n', 'p.yaml: the file is empty'],
    ['not a mapping', '- a\n- b\n', 'p.yaml:1:1: (top level): '],
    [
      'missing apiVersion',
      'kind: Policy\n',
      'p.yaml:1:1: apiVersion: expected apiVersion: portcullis.dev/v1alpha1',
    ],
    [
      'wrong apiVersion',
      'apiVersion: v1\nkind: Policy\n',
      'p.yaml:1:13: apiVersion: expected apiVersion: portcullis.dev/v1alpha1',
    ],
    [
      'wrong kind',
      'apiVersion: portcullis.dev/v1alpha1\nkind: Pod\n',
      'p.yaml:2:7: kind: expected kind: Policy',
    ],
    ['unknown top-level key', HEAD + 'lnit: {}\n', 'p.yaml:3:1: lnit: unknown key "lnit"'],
    [
      'unknown nested key',
      HEAD + 'lint:\n  failOn: high\n  fail_on: low\n',
      'p.yaml:5:3: lint.fail_on: unknown key "fail_on"',
    ],
    [
      'unknown key in a rule setting',
      HEAD + 'lint:\n  rules:\n    PC-DF-002: { severity: low, sev: high }\n',
      'p.yaml:5:33: lint.rules.PC-DF-002.sev: unknown key "sev"',
    ],
    [
      'malformed rule id',
      HEAD + 'lint:\n  rules:\n    pc-df-4: off\n',
      'p.yaml:5:5: lint.rules.pc-df-4: expected a rule id such as PC-DF-004',
    ],
    [
      'bad severity',
      HEAD + 'lint:\n  rules:\n    PC-DF-002: severe\n',
      'p.yaml:5:16: lint.rules.PC-DF-002: expected "off", a severity (critical, high, medium, low, info) or { enabled?, severity? }',
    ],
    // YAML 1.1 users write `false`; say what is expected instead.
    [
      'boolean for a rule',
      HEAD + 'lint:\n  rules:\n    PC-DF-002: false\n',
      'p.yaml:5:16: lint.rules.PC-DF-002: expected "off"',
    ],
    [
      'bad failOn',
      HEAD + 'lint:\n  failOn: hgh\n',
      'p.yaml:4:11: lint.failOn: expected a severity: critical, high, medium, low, info',
    ],
    [
      'prefix with a wildcard',
      HEAD + 'registries:\n  trusted:\n    - ghcr.io/acme\n    - ghcr.io/*\n',
      'p.yaml:6:7: registries.trusted[1]: "ghcr.io/*" is not a registry or repository prefix',
    ],
    [
      'prefix with a tag',
      HEAD + 'lint:\n  minimalBases: [ghcr.io/acme/base:1]\n',
      'p.yaml:4:18: lint.minimalBases[0]: "ghcr.io/acme/base:1" is not a registry or repository prefix',
    ],
    ['trusted not a list', HEAD + 'registries:\n  trusted: ghcr.io\n', 'p.yaml:4:12: registries.trusted: '],
    [
      'duplicate key',
      HEAD + 'lint:\n  failOn: high\n  failOn: low\n',
      'p.yaml:5:3: not valid YAML: Map keys must be unique',
    ],
    ['YAML syntax', HEAD + 'lint: [a, b\n', 'p.yaml:4:1: not valid YAML: Flow sequence'],
    ['tab indentation', HEAD + 'lint:\n\tfailOn: high\n', 'p.yaml:4:1: not valid YAML'],
    ['two documents', HEAD + '---\n' + HEAD, 'p.yaml:3:1: not valid YAML'],
    [
      'unknown rule kind',
      HEAD + 'rules:\n  - name: a\n    kind: allowRegistries\n',
      'p.yaml:5:11: rules[0].kind: expected kind: allowedRegistries, disallowTags',
    ],
    [
      'bad rule mode',
      HEAD + 'rules:\n  - { name: a, kind: requireDigest, mode: block }\n',
      'p.yaml:4:43: rules[0].mode: ',
    ],
    [
      'bad rule name',
      HEAD + 'rules:\n  - { name: No Spaces, kind: requireDigest }\n',
      'p.yaml:4:13: rules[0].name: expected a rule name',
    ],
    [
      'duplicate rule names',
      HEAD + 'rules:\n  - { name: a, kind: requireDigest }\n  - { name: a, kind: requireNonRoot }\n',
      'p.yaml:5:13: rules[1].name: duplicate rule name "a"',
    ],
    [
      'allowedRegistries without any list',
      HEAD + 'rules:\n  - { name: a, kind: allowedRegistries }\n',
      'p.yaml:4:5: rules[0]: allowedRegistries without registries needs registries.trusted',
    ],
    [
      'requireSignature without keys',
      HEAD + 'rules:\n  - { name: s, kind: requireSignature }\n',
      'p.yaml:4:5: rules[0]: requireSignature needs at least one of keys and keyless',
    ],
    [
      'keyless with both subject forms',
      HEAD +
        'rules:\n  - name: s\n    kind: requireSignature\n    keyless:\n      - { issuer: https://i, subject: a, subjectRegExp: b }\n',
      'p.yaml:7:9: rules[0].keyless[0]: give exactly one of subject and subjectRegExp',
    ],
    [
      'keyless with a broken expression',
      HEAD +
        'rules:\n  - name: s\n    kind: requireSignature\n    keyless:\n      - { issuer: https://i, subjectRegExp: "(" }\n',
      'rules[0].keyless[0].subjectRegExp: not a valid regular expression',
    ],
    [
      'key that is not PEM',
      HEAD + 'rules:\n  - name: s\n    kind: requireSignature\n    keys:\n      - pem: hello\n',
      'p.yaml:7:14: rules[0].keys[0].pem: expected a PEM public key',
    ],
    [
      'vulnerabilities without failOn',
      HEAD + 'rules:\n  - { name: v, kind: vulnerabilities }\n',
      'p.yaml:4:5: rules[0].failOn: expected a severity',
    ],
    [
      'pull secrets without registries',
      HEAD + 'rules:\n  - { name: p, kind: requirePullSecretsFor, registries: [] }\n',
      'p.yaml:4:57: rules[0].registries: ',
    ],
    [
      'label selector In without values',
      HEAD +
        'rules:\n  - name: a\n    kind: requireDigest\n    match:\n      namespaceSelector:\n        matchExpressions:\n          - { key: tier, operator: In }\n',
      'p.yaml:9:13: rules[0].match.namespaceSelector.matchExpressions[0].values: operator In needs values',
    ],
    [
      'namespace that is not a DNS label',
      HEAD + 'rules:\n  - { name: a, kind: requireDigest, match: { namespaces: [Prod] } }\n',
      'p.yaml:4:59: rules[0].match.namespaces[0]: expected a Kubernetes namespace name',
    ],
    [
      'image glob with a space',
      HEAD + 'exemptions:\n  - { images: ["ghcr.io/a b"], reason: r }\n',
      'p.yaml:4:16: exemptions[0].images[0]: expected an image glob',
    ],
    [
      'exemption without a reason',
      HEAD + 'exemptions:\n  - { namespaces: [dev] }\n',
      'p.yaml:4:5: exemptions[0].reason: ',
    ],
    [
      'exemption naming nothing',
      HEAD + 'exemptions:\n  - { reason: because }\n',
      'p.yaml:4:5: exemptions[0]: an exemption names namespaces, images or both',
    ],
    [
      'exemption with an impossible date',
      HEAD + 'exemptions:\n  - { namespaces: [dev], reason: r, expires: 2026-02-30 }\n',
      'p.yaml:4:46: exemptions[0].expires: expected a date YYYY-MM-DD',
    ],
    [
      'exemption naming a missing rule',
      HEAD +
        'rules:\n  - { name: a, kind: requireDigest }\nexemptions:\n  - { namespaces: [dev], rules: [a, b], reason: r }\n',
      'p.yaml:6:37: exemptions[0].rules[1]: no rule is named "b"',
    ],
  ])('%s', (_name, text, expected) => {
    const err = errorOf(() => parsePolicy(text, 'p.yaml'));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toContain(expected);
  });

  it('reports several problems at once, one per line', () => {
    const err = errorOf(() =>
      parsePolicy(HEAD + 'lint:\n  failOn: x\n  rules: { PC-DF-002: y }\n  z: 1\n', 'p.yaml'),
    );
    expect(err.message.split('\n')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^p\.yaml:4:11: lint\.failOn: /),
        expect.stringMatching(/^p\.yaml:5:23: lint\.rules\.PC-DF-002: /),
        'p.yaml:6:3: lint.z: unknown key "z"',
      ]),
    );
    expect(err.message.split('\n')).toHaveLength(3);
  });

  it('caps the problems it lists', () => {
    const keys = Array.from({ length: 25 }, (_, i) => `  k${i}: 1\n`).join('');
    const err = errorOf(() => parsePolicy(HEAD + 'lint:\n' + keys, 'p.yaml'));
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('(and 15 more problems)');
  });

  it('refuses an alias bomb before expanding it', () => {
    // "Billion laughs": each level doubles the one below; fully expanded it would be huge.
    let text = HEAD + 'metadata:\n  description: &a0 "lol"\n';
    const levels = 30;
    for (let i = 1; i <= levels; i++) text += `x${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
    const err = errorOf(() => parsePolicy(text, 'bomb.yaml'));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toMatch(/^bomb\.yaml: not valid YAML: .*alias/i);
  });

  it('refuses a __proto__ key as unknown instead of letting it set a prototype', () => {
    const err = errorOf(() => parsePolicy(HEAD + '__proto__: { lint: {} }\n', 'p.yaml'));
    expect(err.message).toBe('p.yaml:3:1: __proto__: unknown key "__proto__"');
  });

  it('refuses nesting deep enough to exhaust the parser stack, as an invalid file', () => {
    const err = errorOf(() => parsePolicy('['.repeat(50_000) + ']'.repeat(50_000), 'deep.yaml'));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toMatch(/^deep\.yaml:1:\d+: not valid YAML: /);
  });

  it('refuses text over the size cap', () => {
    const text = HEAD + '#'.repeat(MAX_POLICY_BYTES);
    expect(errorOf(() => parsePolicy(text, 'big.yaml')).code).toBe('POLICY_TOO_LARGE');
  });
});

describe('policyLocation', () => {
  it('points at keys and values of a parsed policy', () => {
    const p = parsePolicy(HEAD + 'lint:\n  rules:\n    PC-DF-004: off\n', 'x.yaml');
    expect(policyLocation(p, ['lint', 'rules', 'PC-DF-004'], true)).toBe('x.yaml:5:5');
    expect(policyLocation(p, ['lint', 'rules', 'PC-DF-004'])).toBe('x.yaml:5:16');
    // A key that is not there: the nearest enclosing node that is.
    expect(policyLocation(p, ['lint', 'failOn'])).toBe('x.yaml:4:3');
  });

  it('knows nothing of policies it did not parse', () => {
    expect(
      policyLocation({ apiVersion: 'portcullis.dev/v1alpha1', kind: 'Policy' }, ['kind']),
    ).toBeUndefined();
  });
});

describe('loadPolicyFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-policy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and names it in errors', async () => {
    const good = path.join(dir, 'good.yaml');
    await writeFile(good, HEAD + 'lint: { failOn: low }\n');
    await expect(loadPolicyFile(good)).resolves.toMatchObject({ lint: { failOn: 'low' } });
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, HEAD + 'lint: { failOn: nope }\n');
    await expect(loadPolicyFile(bad)).rejects.toThrow(`${bad}:3:17: lint.failOn: expected a severity`);
  });

  it.each([
    ['a missing file', 'missing.yaml', 'POLICY_NOT_FOUND'],
    ['a path through a file', 'good.yaml/x', 'POLICY_NOT_FOUND'],
    ['a directory', '.', 'POLICY_UNREADABLE'],
  ])('refuses %s', async (_name, rel, code) => {
    await expect(loadPolicyFile(path.join(dir, rel))).rejects.toMatchObject({ code });
  });

  it('refuses a file over the cap without parsing it', async () => {
    const big = path.join(dir, 'big.yaml');
    await writeFile(big, Buffer.alloc(MAX_POLICY_BYTES + 1, 0x23));
    await expect(loadPolicyFile(big)).rejects.toMatchObject({ code: 'POLICY_TOO_LARGE' });
  });

  it('refuses bytes that are not UTF-8', async () => {
    const latin1 = path.join(dir, 'latin1.yaml');
    await writeFile(latin1, Buffer.concat([Buffer.from(HEAD), Buffer.from([0x23, 0xe9, 0x0a])]));
    await expect(loadPolicyFile(latin1)).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: `${latin1}: not UTF-8 text`,
    });
  });
});
