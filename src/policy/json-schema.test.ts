// The published JSON Schema (docs/policy.schema.json) is generated from the zod schema. This
// test fails when the file is stale; regenerate it with
//   UPDATE_POLICY_SCHEMA=1 npx vitest run src/policy/json-schema.test.ts
// It also checks the example policy against both the loader and the published schema (ajv as
// an independent validator), and that the two agree on files they must both refuse.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/fixtures.js';
import { policyJsonSchema } from './json-schema.js';
import { lintSettings } from './lint.js';
import { parsePolicy } from './load.js';

const schemaFile = path.join(repoRoot, 'docs', 'policy.schema.json');
const exampleFile = path.join(repoRoot, 'examples', 'portcullis.yaml');

function compile() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
}

describe('docs/policy.schema.json', () => {
  it('is generated from the current zod schema', () => {
    const generated = policyJsonSchema();
    if (process.env['UPDATE_POLICY_SCHEMA'] === '1') {
      writeFileSync(schemaFile, `${JSON.stringify(generated, undefined, 2)}\n`);
    }
    // Compared as data, so formatting the file (prettier) does not make it stale.
    const published = JSON.parse(readFileSync(schemaFile, 'utf8')) as unknown;
    expect(
      published,
      'docs/policy.schema.json is stale: UPDATE_POLICY_SCHEMA=1 npx vitest run src/policy/json-schema.test.ts',
    ).toEqual(generated);
  });

  it('is a valid draft 2020-12 schema that ajv compiles in strict mode', () => {
    expect(typeof compile()).toBe('function');
  });
});

describe('examples/portcullis.yaml', () => {
  const text = readFileSync(exampleFile, 'utf8');

  it('loads, and gives the lint settings it documents', () => {
    const policy = parsePolicy(text, 'examples/portcullis.yaml');
    expect(lintSettings(policy)).toStrictEqual({
      disabled: ['PC-DF-004'],
      severityOverrides: { 'PC-DF-002': 'medium', 'PC-DF-010': 'critical' },
      trustedRegistries: [
        'ghcr.io/acme',
        'registry.acme.example:5000/',
        'docker.io/library/debian',
        'gcr.io/distroless/',
        'cgr.dev/chainguard/',
      ],
      minimalBases: ['ghcr.io/acme/hardened'],
      failOn: 'high',
    });
    expect(policy.rules?.map((r) => `${r.name}:${r.kind}:${r.mode}`)).toEqual([
      'trusted-registries:allowedRegistries:enforce',
      'no-latest:disallowTags:enforce',
      'pinned-in-prod:requireDigest:enforce',
      'signed:requireSignature:warn',
      'no-criticals:vulnerabilities:enforce',
      'private-pulls:requirePullSecretsFor:enforce',
      'non-root:requireNonRoot:audit',
    ]);
    expect(policy.exemptions).toHaveLength(2);
  });

  it('validates against the published JSON schema', () => {
    const validate = compile();
    const ok = validate(parseYaml(text, { schema: 'core' }));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe('the loader and the published schema agree', () => {
  const HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';
  it.each([
    ['unknown top-level key', HEAD + 'lnit: {}\n'],
    ['unknown nested key', HEAD + 'lint: { fail_on: high }\n'],
    ['malformed rule id', HEAD + 'lint: { rules: { pc-df-4: off } }\n'],
    ['bad severity', HEAD + 'lint: { rules: { PC-DF-002: severe } }\n'],
    ['wrong apiVersion', 'apiVersion: v1\nkind: Policy\n'],
    ['unknown rule kind', HEAD + 'rules: [{ name: a, kind: allowRegistries }]\n'],
    ['rule without a name', HEAD + 'rules: [{ kind: requireDigest }]\n'],
    ['bad mode', HEAD + 'rules: [{ name: a, kind: requireDigest, mode: block }]\n'],
    ['exemption without a reason', HEAD + 'exemptions: [{ namespaces: [dev] }]\n'],
  ])('both refuse: %s', (_name, text) => {
    expect(() => parsePolicy(text)).toThrow();
    expect(compile()(parseYaml(text, { schema: 'core' }))).toBe(false);
  });
});
