import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import { parsePolicy } from '../../policy/index.js';
import {
  SqliteAccountStore,
  SqliteAuditLog,
  createRegistryApp,
  createTokenSigner,
  createTokenVerifier,
  generateSigningKey,
  type ManifestRecord,
} from '../../registry/index.js';
import { startPortcullisRegistry, type TestPortcullisRegistry } from '../../testing/portcullis-registry.js';
import { createRegistryApiExtension } from './api.js';
import { applicableProjectEntry, matchesProjectGlob } from './gates.js';
import type { ScanResultsReader, StoredScan } from './scan-results.js';

// The server layer's management routes (scan results, signatures, gates) in our real registry,
// and the OpenAPI document: the file in docs/ is the one the server builds, its paths are
// exactly the routes fastify registers under /api/v1, and it has the shape OpenAPI 3.1 asks.
//   UPDATE_REGISTRY_API_DOC=1 npx vitest run src/server/registry/api.test.ts   rewrites the file.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const docFile = path.join(repoRoot, 'docs', 'registry-api.openapi.json');

/** A small real ScanResultsReader: the stored scans in a map, as the worker's store answers them. */
class MapScanResults implements ScanResultsReader {
  readonly #scans = new Map<string, StoredScan>();
  put(scan: StoredScan): void {
    this.#scans.set(scan.digest, scan);
  }
  scanOf(digest: Digest): Promise<StoredScan | undefined> {
    return Promise.resolve(this.#scans.get(digest));
  }
}

const KEY_PEM = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7mIbrtBzb6d5i2xdhmNobJRzqR0J',
  'N7uWuiV1oA9g9lSlLOlBd3uTPCE5Zqcn6DzmMhRv0ANkjTtIM7OYSUB4qw==',
  '-----END PUBLIC KEY-----',
].join('\n');

const POLICY = parsePolicy(`apiVersion: portcullis.dev/v1alpha1
kind: Policy
rules:
  - name: no-critical
    kind: vulnerabilities
    failOn: critical
    match: { namespaces: [prod] }
  - name: signed
    kind: requireSignature
    keys:
      - name: team
        pem: |
${KEY_PEM.split('\n')
  .map((l) => `          ${l}`)
  .join('\n')}
server:
  projects:
    - name: team
      pull: { rules: [no-critical, signed] }
      immutableTags: ['v*']
      vex: [vex/team.openvex.json]
    - name: '*'
      immutableTags: [release-*]
`);

function record(body: unknown, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  const bytes = Buffer.from(JSON.stringify(body));
  return {
    digest: digestOf(bytes),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: bytes.length,
    ...extra,
  };
}

const image = record({ schemaVersion: 2, n: 'image' });
const unscanned = record({ schemaVersion: 2, n: 'unscanned' });
const sbom = record(
  { schemaVersion: 2, n: 'sbom' },
  { subject: image.digest, artifactType: 'application/spdx+json', annotations: { purpose: 'sbom' } },
);
const cosignSig = record({ schemaVersion: 2, n: 'sig' });

let reg: TestPortcullisRegistry;
let robotAuth = '';
/** The policy in force; the extension reads it through a getter, as serve's reload needs. */
let policyInForce: typeof POLICY | undefined = POLICY;
const scans = new MapScanResults();

async function get(url: string, who: string | { authorization: string } | undefined) {
  const auth =
    who === undefined ? {} : { authorization: typeof who === 'string' ? reg.basic(who) : who.authorization };
  const res = await fetch(`${reg.url}${url}`, { headers: auth });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
}

const codeOf = (json: Record<string, unknown>): string | undefined =>
  (json['errors'] as { code: string }[] | undefined)?.[0]?.code;

beforeAll(async () => {
  reg = await startPortcullisRegistry({
    projects: [{ name: 'team' }, { name: 'pub', public: true }],
    users: { guest: { roles: { team: 'guest' } }, bob: {} },
    server: {
      apiExtensions: [
        createRegistryApiExtension({
          scans,
          get policy() {
            return policyInForce;
          },
        }),
      ],
    },
  });
  await reg.metadata.putManifest('team/app', image, ['v1']);
  await reg.metadata.putManifest('team/app', unscanned, ['v2']);
  await reg.metadata.putManifest('team/app', sbom);
  await reg.metadata.putManifest('team/app', cosignSig, [`${image.digest.replace(':', '-')}.sig`]);
  scans.put({
    digest: image.digest,
    status: 'done',
    findings: [
      {
        id: 'CVE-2019-14697',
        aliases: [],
        package: {
          type: 'apk',
          name: 'musl',
          version: '1.1.22-r2',
          purl: 'pkg:apk/alpine/musl@1.1.22-r2',
          licenses: ['MIT'],
          location: { path: 'lib/apk/db/installed', layerIndex: 0, diffID: undefined, createdBy: undefined },
        },
        installedVersion: '1.1.22-r2',
        fixedVersion: '1.1.22-r3',
        status: 'fixed',
        rawStatus: undefined,
        severity: 'critical',
        severitySource: 'cvss_v3',
        cvssScore: 9.8,
        cvssVector: undefined,
        title: undefined,
        description: undefined,
        references: [],
        ecosystem: 'Alpine:v3.10',
        recordIds: ['CVE-2019-14697'],
        published: undefined,
        modified: undefined,
      },
    ],
    scannedAt: '2026-11-27T08:00:00.000Z',
    dbVersion: 'test-1',
  });
  const robot = await fetch(`${reg.url}/api/v1/projects/team/robots`, {
    method: 'POST',
    headers: { authorization: reg.basic('admin'), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', permissions: [{ actions: ['pull'] }] }),
  });
  const token = ((await robot.json()) as { token: string }).token;
  robotAuth = `Basic ${Buffer.from(`robot$team+ci:${token}`).toString('base64')}`;
});

afterAll(async () => {
  await reg.stop();
});

const scanUrl = (repo: string, digest: string) =>
  `/api/v1/repositories/${encodeURIComponent(repo)}/manifests/${digest}/scan`;

describe('GET /api/v1/repositories/{name}/manifests/{digest}/scan', () => {
  it('answers the stored scan to anyone who may pull, robots included', async () => {
    for (const who of ['guest', 'admin', { authorization: robotAuth }]) {
      const res = await get(scanUrl('team/app', image.digest), who);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        repository: 'team/app',
        digest: image.digest,
        status: 'done',
        dbVersion: 'test-1',
        findings: [{ id: 'CVE-2019-14697', severity: 'critical', fixedVersion: '1.1.22-r3' }],
      });
    }
  });

  it('refuses callers without pull, and anonymous callers', async () => {
    const bob = await get(scanUrl('team/app', image.digest), 'bob');
    expect([bob.status, codeOf(bob.json)]).toEqual([403, 'DENIED']);
    const anonymous = await get(scanUrl('team/app', image.digest), undefined);
    expect([anonymous.status, codeOf(anonymous.json)]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('answers 404 for an unknown manifest or one never scanned, 400 for bad names and digests', async () => {
    const never = await get(scanUrl('team/app', unscanned.digest), 'guest');
    expect([never.status, codeOf(never.json)]).toEqual([404, 'NOT_FOUND']);
    const unknown = await get(scanUrl('team/app', digestOf(Buffer.from('nothing'))), 'guest');
    expect([unknown.status, codeOf(unknown.json)]).toEqual([404, 'NOT_FOUND']);
    const badDigest = await get(scanUrl('team/app', 'sha256:1234'), 'guest');
    expect([badDigest.status, codeOf(badDigest.json)]).toEqual([400, 'INVALID']);
    const badName = await get(scanUrl('app', image.digest), 'admin');
    expect([badName.status, codeOf(badName.json)]).toEqual([400, 'INVALID']);
  });
});

describe('GET /api/v1/repositories/{name}/manifests/{digest}/signatures', () => {
  it('lists referrers and cosign tag-based signatures', async () => {
    const res = await get(`/api/v1/repositories/team%2Fapp/manifests/${image.digest}/signatures`, {
      authorization: robotAuth,
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      repository: 'team/app',
      digest: image.digest,
      referrers: [
        {
          digest: sbom.digest,
          mediaType: sbom.mediaType,
          size: sbom.size,
          artifactType: 'application/spdx+json',
          annotations: { purpose: 'sbom' },
        },
      ],
      tagged: [
        {
          kind: 'signature',
          tag: `${image.digest.replace(':', '-')}.sig`,
          manifest: { digest: cosignSig.digest, mediaType: cosignSig.mediaType, size: cosignSig.size },
        },
      ],
    });
    const none = await get(
      `/api/v1/repositories/team%2Fapp/manifests/${unscanned.digest}/signatures`,
      'guest',
    );
    expect(none.json).toMatchObject({ referrers: [], tagged: [] });
    const bob = await get(`/api/v1/repositories/team%2Fapp/manifests/${image.digest}/signatures`, 'bob');
    expect(bob.status).toBe(403);
  });
});

describe('GET /api/v1/projects/{name}/gates', () => {
  it('shows the first matching entry, with the rules it names expanded (match left out)', async () => {
    const res = await get('/api/v1/projects/team/gates', 'guest');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      project: 'team',
      entry: 'team',
      pull: {
        whileScanning: 'deny',
        rules: [
          { name: 'no-critical', kind: 'vulnerabilities', failOn: 'critical', mode: 'enforce' },
          { name: 'signed', kind: 'requireSignature', keys: [{ name: 'team' }] },
        ],
      },
      immutableTags: ['v*'],
      vex: ['team.openvex.json'],
    });
    const rules = (res.json['pull'] as { rules: Record<string, unknown>[] }).rules;
    expect(rules[0]).not.toHaveProperty('match');
    const pub = await get('/api/v1/projects/pub/gates', 'bob');
    expect(pub.json).toEqual({ project: 'pub', entry: '*', immutableTags: ['release-*'], vex: [] });
  });

  it('shows robots of the project its gates, and follows a policy reload', async () => {
    const robot = await get('/api/v1/projects/team/gates', { authorization: robotAuth });
    expect(robot.json).toMatchObject({ project: 'team', entry: 'team' });
    policyInForce = undefined;
    try {
      const none = await get('/api/v1/projects/team/gates', 'guest');
      expect(none.json).toEqual({ project: 'team', immutableTags: [], vex: [] });
    } finally {
      policyInForce = POLICY;
    }
  });

  it('hides projects the caller may not see', async () => {
    const res = await get('/api/v1/projects/team/gates', 'bob');
    expect([res.status, codeOf(res.json)]).toEqual([404, 'NOT_FOUND']);
    const bad = await get('/api/v1/projects/Team/gates', 'admin');
    expect([bad.status, codeOf(bad.json)]).toEqual([400, 'INVALID']);
  });

  it('matches project globs and picks the first entry that applies', () => {
    const cases: [string, string, boolean][] = [
      ['*', 'team', true],
      ['team-*', 'team-a', true],
      ['team-*', 'team', false],
      ['t?am', 'team', true],
      ['a.b', 'axb', false],
      ['a.b', 'a.b', true],
    ];
    for (const [glob, name, want] of cases)
      expect([glob, name, matchesProjectGlob(glob, name)]).toEqual([glob, name, want]);
    // The entry the route reports is the one the gates enforce (the same function picks it):
    // the first that matches, so team gets its own entry even though '*' also matches it.
    expect(applicableProjectEntry(POLICY, 'team')?.name).toBe('team');
    expect(applicableProjectEntry(POLICY, 'pub')?.name).toBe('*');
    expect(applicableProjectEntry(undefined, 'team')).toBeUndefined();
  });
});

describe('the OpenAPI document', () => {
  it('is served at /api/v1/openapi.json and is the file in docs/', async () => {
    const served = await get('/api/v1/openapi.json', undefined);
    expect(served.status).toBe(200);
    if (process.env['UPDATE_REGISTRY_API_DOC'] === '1')
      writeFileSync(docFile, `${JSON.stringify(served.json, undefined, 2)}\n`);
    const file = JSON.parse(readFileSync(docFile, 'utf8')) as unknown;
    expect(
      served.json,
      'docs/registry-api.openapi.json is stale: UPDATE_REGISTRY_API_DOC=1 npx vitest run src/server/registry/api.test.ts',
    ).toEqual(file);
  });

  it('lists exactly the routes fastify registers under /api/v1', async () => {
    const db = new Database(':memory:');
    const key = generateSigningKey();
    const app = createRegistryApp({
      blobs: reg.blobs,
      metadata: reg.metadata,
      auth: {
        store: new SqliteAccountStore(db),
        audit: new SqliteAuditLog(db),
        service: 's',
        signer: createTokenSigner({ privateKey: key, issuer: 's' }),
        verifier: createTokenVerifier({ publicKeys: [key], issuer: 's', audience: 's' }),
      },
      apiExtensions: [createRegistryApiExtension({})],
    });
    const registered = new Set<string>();
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (route.url.startsWith('/api/')) for (const m of methods) registered.add(`${m} ${route.url}`);
    });
    await app.ready();
    await app.close();
    db.close();
    const doc = JSON.parse(readFileSync(docFile, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item))
        documented.add(`${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    expect(
      [...registered].filter((r) => !documented.has(r)),
      'registered but not documented',
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !registered.has(r)),
      'documented but not registered',
    ).toEqual([]);
    expect(registered.size).toBeGreaterThan(20);
  });

  it("describes the server routes' answers as they are", async () => {
    const doc = JSON.parse(readFileSync(docFile, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const base = 'https://portcullis.invalid/registry-api';
    ajv.addSchema({ $id: base, components: doc['components'] });
    const answers: [string, string][] = [
      ['ManifestScan', scanUrl('team/app', image.digest)],
      ['ManifestSignatures', `/api/v1/repositories/team%2Fapp/manifests/${image.digest}/signatures`],
      ['ProjectGates', '/api/v1/projects/team/gates'],
      ['ProjectGates', '/api/v1/projects/pub/gates'],
    ];
    for (const [id, url] of answers) {
      const validate = ajv.compile({ $ref: `${base}#/components/schemas/${id}` });
      const res = await get(url, 'admin');
      expect(validate(res.json), `${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('has the shape of an OpenAPI 3.1 document, with valid JSON Schemas and resolvable references', () => {
    const doc = JSON.parse(readFileSync(docFile, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const shape = ajv.compile(OPENAPI_SHAPE);
    expect(shape(doc), JSON.stringify(shape.errors?.slice(0, 5))).toBe(true);
    const components = (doc['components'] as { schemas: Record<string, unknown> }).schemas;
    // Every component compiles as a JSON Schema 2020-12, its references resolved in the document.
    const base = 'https://portcullis.invalid/registry-api';
    ajv.addSchema({ $id: base, components: doc['components'] });
    for (const id of Object.keys(components))
      expect(() => ajv.compile({ $ref: `${base}#/components/schemas/${id}` }), id).not.toThrow();
    // Every $ref names a component; every operationId is unique; path templates match parameters.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const id = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(id !== undefined && id in components, ref).toBe(true);
    }
    const ids: string[] = [];
    for (const [p, item] of Object.entries(doc['paths'] as Record<string, Record<string, OperationShape>>)) {
      const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const op of Object.values(item)) {
        ids.push(op.operationId);
        const inPath = op.parameters
          .filter((x) => x.in === 'path')
          .map((x) => x.name)
          .sort();
        expect(inPath, `${p} ${op.operationId}`).toEqual(templated);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

type OperationShape = { operationId: string; parameters: { name: string; in: string }[] };

/** What this test holds an OpenAPI 3.1 document to (the parts the specification requires). */
const OPENAPI_SHAPE = {
  type: 'object',
  required: ['openapi', 'info', 'paths', 'components'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' } },
    },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/api/v1/' },
      additionalProperties: {
        type: 'object',
        propertyNames: { enum: ['get', 'put', 'post', 'delete', 'patch'] },
        additionalProperties: {
          type: 'object',
          required: ['operationId', 'summary', 'responses', 'parameters'],
          properties: {
            operationId: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*$' },
            tags: { type: 'array', items: { type: 'string' } },
            parameters: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'in', 'schema'],
                properties: { in: { enum: ['path', 'query', 'header'] }, required: { type: 'boolean' } },
                if: { properties: { in: { const: 'path' } } },
                then: { properties: { required: { const: true } }, required: ['required'] },
              },
            },
            requestBody: {
              type: 'object',
              required: ['content'],
              properties: { content: { type: 'object', minProperties: 1 } },
            },
            responses: {
              type: 'object',
              minProperties: 1,
              propertyNames: { pattern: '^[1-5]\\d\\d$' },
              additionalProperties: {
                type: 'object',
                required: ['description'],
                properties: { description: { type: 'string', minLength: 1 } },
              },
            },
          },
        },
      },
    },
    components: {
      type: 'object',
      required: ['schemas', 'securitySchemes'],
      properties: {
        schemas: { type: 'object', additionalProperties: { type: 'object' } },
        securitySchemes: {
          type: 'object',
          additionalProperties: { type: 'object', required: ['type'] },
        },
      },
    },
  },
};
