import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type Policy } from '../../policy/index.js';
import { redactSecret } from '../../core/index.js';
import type { RuleMeta } from '../../report/index.js';
import { auditAndRenderAll, findLeakedSecrets } from '../../testing/audit.js';
import { repoRoot } from '../../testing/fixtures.js';
import { sarifValidator } from '../../testing/scan-schemas.js';
import type { BundleRule, ObjectRule } from '../types.js';

const validateJson = new Ajv({ strict: true, allErrors: true }).compile(
  JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'audit-json.schema.json'), 'utf8')) as object,
);
const validateSarif = sarifValidator();

// A made-up credential, assembled so that no full value sits in the source.
const PASSWORD = 'Zx9-' + 'kLq2mP7vR4tW';

function meta(id: string, severity: RuleMeta['severity']): RuleMeta {
  return {
    id,
    severity,
    title: `Title of ${id}`,
    hint: `Do \`this\` for ${id}`,
    docs: `docs/rules/${id}.md`,
    equivalents: { trivy: ['KSV-0041'], kubeaudit: ['privileged'] },
  };
}

type Env = { name: string; value?: string };

function envOf(o: { object: Readonly<Record<string, unknown>> }): Env[] {
  const spec = o.object['spec'] as { containers?: { env?: Env[] }[] } | undefined;
  return spec?.containers?.[0]?.env ?? [];
}

/** Reports env literals, redacted as rules must. */
const redacting: ObjectRule = {
  meta: meta('PC-K8S-901', 'high'),
  *check(o) {
    for (const [i, e] of envOf(o).entries()) {
      if (e.value !== undefined) {
        yield {
          path: ['spec', 'containers', 0, 'env', i, 'value'],
          message: `${e.name} holds ${redactSecret(e.value)}`,
        };
      }
    }
  },
};

/** The mistake the helper must catch: the value in the message. */
const leaking: ObjectRule = {
  meta: meta('PC-K8S-902', 'medium'),
  *check(o) {
    for (const [i, e] of envOf(o).entries()) {
      yield { path: ['spec', 'containers', 0, 'env', i, 'value'], message: `${e.name}=${e.value ?? ''}` };
    }
  },
};

const rbac: BundleRule = {
  meta: meta('PC-K8S-903', 'critical'),
  *checkBundle(ctx) {
    for (const o of ctx.objects) {
      if (o.resource.kind === 'Pod') {
        yield {
          object: o,
          path: [],
          message: 'can read Secrets',
          chain: ['ClusterRoleBinding/x', 'ClusterRole/y'],
        };
      }
    }
  },
};

const BUNDLE = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
spec:
  containers:
    - name: app
      image: app:1
      env:
        - name: DB_PASSWORD
          value: "${PASSWORD}"
---
apiVersion: v1
kind: Pod
metadata:
  name: quiet
  annotations:
    portcullis.dev/ignore: "PC-K8S-903 reviewed"
spec:
  containers: [{ name: c, image: c:1 }]
`;

const POLICY: Policy = parsePolicy(
  'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\naudit:\n  ignore:\n    - { rule: PC-K8S-901, name: nothing, reason: r, expires: 2020-01-01 }\n',
  'p.yaml',
);

describe('audit renderers', () => {
  const rendered = auditAndRenderAll(BUNDLE, [redacting, rbac], POLICY);

  it('text groups findings per object with file:line, severity, id, message, path, chain and fix', () => {
    expect(rendered.text).toBe(
      [
        'Pod prod/web (fixture.yaml)',
        '  fixture.yaml:1 critical PC-K8S-903 can read Secrets',
        '      via: ClusterRoleBinding/x -> ClusterRole/y',
        '      fix: Do `this` for PC-K8S-903',
        `  fixture.yaml:12 high PC-K8S-901 DB_PASSWORD holds ${redactSecret(PASSWORD)}`,
        '      at: spec.containers[0].env[0].value',
        '      fix: Do `this` for PC-K8S-901',
        '',
        '2 finding(s) (1 critical, 1 high) in 2 object(s), 1 suppressed',
        '  suppressed: PC-K8S-903 on Pod quiet (fixture.yaml:14) by annotation: reviewed',
        '',
      ].join('\n'),
    );
  });

  it('text says when there is nothing to report, and names expired policy entries', () => {
    const quiet = auditAndRenderAll('kind: ConfigMap\nmetadata: {name: c}\n', [redacting]);
    expect(quiet.text).toBe('0 finding(s) in 1 object(s)\n');
    const expired = auditAndRenderAll(BUNDLE.replace('name: web', 'name: nothing'), [redacting], POLICY);
    expect(expired.text).toContain(
      'expired: audit.ignore for PC-K8S-901 at p.yaml:5:7 ended 2020-01-01; it no longer suppresses 1 finding(s) ("r")',
    );
  });

  it('JSON follows docs/audit-json.schema.json, with findings, suppressed and expired entries, and without', () => {
    const expired = auditAndRenderAll(
      BUNDLE.replace('name: web', 'name: nothing'),
      [redacting, rbac],
      POLICY,
    );
    for (const r of [rendered, expired, auditAndRenderAll('kind: ConfigMap\n', [])]) {
      const doc: unknown = JSON.parse(r.json);
      expect(validateJson(doc), JSON.stringify(validateJson.errors?.slice(0, 5))).toBe(true);
    }
    const doc = JSON.parse(rendered.json) as Record<string, unknown>;
    expect(doc['summary']).toEqual({
      critical: 1,
      high: 1,
      medium: 0,
      low: 0,
      info: 0,
      total: 2,
      objects: 2,
      suppressed: 1,
    });
    expect((doc['findings'] as unknown[])[1]).toEqual({
      ruleId: 'PC-K8S-901',
      severity: 'high',
      title: 'Title of PC-K8S-901',
      message: `DB_PASSWORD holds ${redactSecret(PASSWORD)}`,
      hint: 'Do `this` for PC-K8S-901',
      resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'prod', name: 'web' },
      objectPath: 'spec.containers[0].env[0].value',
      file: 'fixture.yaml',
      line: 12,
    });
    expect((JSON.parse(expired.json) as { expiredIgnores: unknown[] }).expiredIgnores).toHaveLength(1);
  });

  it('the JSON schema refuses a document with an unknown field or a bad severity', () => {
    const doc = JSON.parse(rendered.json) as { findings: Record<string, unknown>[] };
    const extra = { ...doc, findings: [{ ...doc.findings[0], secret: 'x' }] };
    expect(validateJson(extra)).toBe(false);
    const bad = { ...doc, findings: [{ ...doc.findings[0], severity: 'urgent' }] };
    expect(validateJson(bad)).toBe(false);
  });

  it('SARIF is valid 2.1.0 with rule help links to docs/rules pages and file/line results', () => {
    for (const r of [rendered, auditAndRenderAll('kind: ConfigMap\n', [])]) {
      const doc: unknown = JSON.parse(r.sarif);
      expect(validateSarif(doc), JSON.stringify(validateSarif.errors?.slice(0, 5))).toBe(true);
    }
    const run = (
      JSON.parse(rendered.sarif) as {
        runs: {
          tool: {
            driver: {
              rules: {
                id: string;
                helpUri: string;
                help: { markdown: string };
                properties: { tags: string[] };
              }[];
            };
          };
          results: {
            ruleId: string;
            ruleIndex: number;
            level: string;
            locations: {
              physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
              logicalLocations: { name: string; fullyQualifiedName: string }[];
            }[];
            properties: Record<string, unknown>;
          }[];
        }[];
      }
    ).runs[0];
    expect(run?.tool.driver.rules.map((r) => [r.id, r.helpUri])).toEqual([
      ['PC-K8S-901', 'https://github.com/portcullis-dev/portcullis/blob/main/docs/rules/PC-K8S-901.md'],
      ['PC-K8S-903', 'https://github.com/portcullis-dev/portcullis/blob/main/docs/rules/PC-K8S-903.md'],
    ]);
    expect(run?.tool.driver.rules[0]?.help.markdown).toContain('kubeaudit privileged');
    expect(run?.tool.driver.rules[0]?.properties.tags).toContain('kubernetes');
    const r = run?.results[1];
    expect(r).toMatchObject({ ruleId: 'PC-K8S-901', ruleIndex: 0, level: 'error' });
    expect(r?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'fixture.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 12 },
    });
    expect(r?.locations[0]?.logicalLocations[0]).toMatchObject({
      name: 'spec.containers[0].env[0].value',
      fullyQualifiedName: 'v1/Pod prod/web#spec.containers[0].env[0].value',
    });
    expect(run?.results[0]?.properties['chain']).toEqual(['ClusterRoleBinding/x', 'ClusterRole/y']);
  });
});

describe('findLeakedSecrets', () => {
  it('finds nothing when rules redact', () => {
    expect(findLeakedSecrets(auditAndRenderAll(BUNDLE, [redacting, rbac]), [PASSWORD])).toEqual([]);
  });

  it('finds a value a rule prints, in every format', () => {
    expect(findLeakedSecrets(auditAndRenderAll(BUNDLE, [leaking]), [PASSWORD])).toEqual([
      'text: secret #0 (raw)',
      'json: secret #0 (raw)',
      'sarif: secret #0 (raw)',
    ]);
  });

  it('finds base64 and JSON-escaped forms', () => {
    const quoted = 'pa"ss\\word-123';
    const yaml = BUNDLE.replace(`"${PASSWORD}"`, JSON.stringify(quoted)).replace(
      'DB_PASSWORD',
      Buffer.from(PASSWORD).toString('base64'),
    );
    const leaks = findLeakedSecrets(auditAndRenderAll(yaml, [leaking]), [quoted, PASSWORD]);
    expect(leaks).toContain('json: secret #0 (json-escaped)');
    expect(leaks).toContain('text: secret #0 (raw)');
    expect(leaks).toContain('sarif: secret #1 (base64)');
  });
});
