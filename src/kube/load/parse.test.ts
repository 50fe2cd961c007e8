import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.js';
import { formatObjectPath, loadManifests } from './parse.js';

const DEPLOYMENT = `# a comment before the first document
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:1
          env:
            - name: A
              value: a
            - name: B
              value: b
            - name: DB_PASSWORD
              value: hunter2-but-longer
---
---
# Source: chart/templates/empty.yaml
---
apiVersion: v1
kind: Service
metadata: { name: web }
`;

function load(text: string, file = 'm.yaml') {
  return loadManifests([{ file, text }]);
}

function loadError(text: string, opts: Parameters<typeof loadManifests>[1] = {}): ManifestError {
  try {
    loadManifests([{ file: 'bad.yaml', text }], opts);
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

describe('loadManifests', () => {
  it('reads every document of a multi-document YAML, skipping empty and comment-only ones', () => {
    const objects = load(DEPLOYMENT);
    expect(objects.map((o) => [o.resource.kind, o.resource.name, o.source.document, o.source.line])).toEqual([
      ['Deployment', 'web', 1, 2],
      ['Service', 'web', 4, 24],
    ]);
    expect(objects[0]?.resource).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'prod',
      name: 'web',
    });
    expect(objects[1]?.resource.namespace).toBeUndefined();
  });

  it('maps deep paths to their 1-based lines, and missing ones to the nearest ancestor', () => {
    const [d] = load(DEPLOYMENT);
    if (d === undefined) throw new Error('no object');
    const env = ['spec', 'template', 'spec', 'containers', 0, 'env'] as const;
    expect(d.lineOf([...env, 2, 'value'])).toBe(19);
    expect(d.lineOf([...env, 2, 'name'])).toBe(18);
    expect(d.lineOf([...env, 0])).toBe(14);
    expect(d.lineOf([...env])).toBe(13);
    expect(d.lineOf(['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'privileged'])).toBe(11);
    expect(d.lineOf([...env, 7, 'value'])).toBe(13);
    expect(d.lineOf([])).toBe(2);
  });

  it('reads JSON, with lines', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
      undefined,
      2,
    );
    const [p] = load(json, 'pod.json');
    expect(p?.resource).toMatchObject({ kind: 'Pod', name: 'p' });
    expect(p?.lineOf(['spec', 'containers', 0, 'image'])).toBe(
      json.split('\n').findIndex((l) => l.includes('"image"')) + 1,
    );
  });

  it('replaces a List (v1 List or any *List) by its items, each with its own item number and lines', () => {
    const list = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: a }
    data:
      k: v
  - apiVersion: v1
    kind: Secret
    metadata:
      name: b
    stringData:
      password: x
---
apiVersion: apps/v1
kind: DeploymentList
items: []
`;
    const objects = load(list);
    expect(objects.map((o) => [o.resource.kind, o.source.item, o.source.line])).toEqual([
      ['ConfigMap', 1, 4],
      ['Secret', 2, 9],
    ]);
    expect(objects[1]?.lineOf(['stringData', 'password'])).toBe(14);
    expect(objects[0]?.lineOf(['data', 'k'])).toBe(8);
  });

  it('reads scalars as kubectl does (YAML 1.1): on/yes are booleans, 0755 is octal, dates stay strings', () => {
    const [c] = load(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: on\n  b: 0755\n  c: 2024-01-02\n  d: 1:20\n',
    );
    expect(c?.object['data']).toEqual({ a: true, b: 493, c: '2024-01-02', d: '1:20' });
    const [c12] = loadManifests([{ file: 'x', text: 'kind: ConfigMap\ndata:\n  a: on\n' }], {
      yamlVersion: '1.2',
    });
    expect(c12?.object['data']).toEqual({ a: 'on' });
  });

  it('follows anchors and merge keys, within the alias cap', () => {
    const [o] = load('kind: ConfigMap\nmetadata: &m {name: x}\nx: *m\nmerged:\n  <<: *m\n  z: 1\n');
    expect(o?.object['merged']).toEqual({ name: 'x', z: 1 });
  });

  it.each([
    [
      'not YAML',
      'kind: Pod\nmetadata: {name: [}\n',
      /^bad\.yaml document 1: not valid YAML: .* \(bad\.yaml:2:\d+\)$/,
    ],
    ['second document broken', 'kind: Pod\n---\nkind: [\n', /document 2: not valid YAML/],
    ['duplicate keys', 'kind: Pod\nkind: Service\n', /document 1: not valid YAML: Map keys must be unique/],
    ['a list document', '- a\n- b\n', /document 1: expected a Kubernetes object .* got a list/],
    ['a scalar document', 'hello\n', /got a string/],
    ['no kind', 'apiVersion: v1\nmetadata: {}\n', /bad\.yaml document 1: the object has no kind/],
    [
      'a List item that is no object',
      'kind: List\nitems: [1]\n',
      /document 1 item 1: expected a Kubernetes object/,
    ],
  ])('refuses %s, naming the file and document', (_name, text, message) => {
    const err = loadError(text);
    expect(err.code).toBe('MANIFESTS_INVALID');
    expect(err.message).toMatch(message);
  });

  it('refuses a billion-laughs alias expansion before it grows', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const err = loadError(`kind: ConfigMap\n${lines.join('\n')}\n`);
    expect(err.code).toBe('MANIFESTS_INVALID');
    expect(err.message).toMatch(/^bad\.yaml document 1: .*alias/i);
  });

  it('refuses nesting deep enough to exhaust the parser stack as invalid, naming the file and document', () => {
    const err = loadError(`kind: ConfigMap\ndata: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    expect(err.code).toBe('MANIFESTS_INVALID');
    expect(err.message).toMatch(/^bad\.yaml document 1: /);
  });

  it('enforces the byte, document and object caps', () => {
    expect(loadError('kind: Pod\n'.repeat(1), { maxBytes: 5 }).code).toBe('MANIFESTS_TOO_LARGE');
    expect(loadError('kind: Pod\n---\nkind: Pod\n---\nkind: Pod\n', { maxDocuments: 2 }).message).toMatch(
      /3 documents, more than the limit of 2/,
    );
    const tooMany = loadError('kind: List\nitems:\n- {kind: Pod}\n- {kind: Pod}\n- {kind: Pod}\n', {
      maxObjects: 2,
    });
    expect(tooMany.code).toBe('MANIFESTS_TOO_LARGE');
    expect(tooMany.message).toMatch(/document 1 item 3: more than 2 objects/);
  });

  it('skips documents that are no Kubernetes objects in files a directory walk found, and says so', () => {
    const notes: string[] = [];
    const objects = loadManifests(
      [
        { file: 'chart/Chart.yaml', text: 'apiVersion: v2\nname: app\nversion: 1.0.0\n', found: true },
        { file: 'chart/report.json', text: '[1, 2]', found: true },
        { file: 'chart/cm.yaml', text: 'name: x\n---\nkind: ConfigMap\nmetadata: {name: c}\n', found: true },
      ],
      { onSkipped: (m) => notes.push(m) },
    );
    expect(objects.map((o) => [o.source.file, o.source.document])).toEqual([['chart/cm.yaml', 2]]);
    expect(notes).toEqual([
      'chart/Chart.yaml document 1: the object has no kind; skipped',
      'chart/report.json document 1: expected a Kubernetes object (a mapping with apiVersion and kind), got a list; skipped',
      'chart/cm.yaml document 1: the object has no kind; skipped',
    ]);
    // Invalid YAML is an error wherever it was found: it may hide a manifest.
    expect(() => loadManifests([{ file: 'd/x.yaml', text: 'kind: [\n', found: true }])).toThrow(
      /not valid YAML/,
    );
  });

  it('returns nothing for empty input', () => {
    expect(load('')).toEqual([]);
    expect(load('---\n# nothing\n---\n')).toEqual([]);
  });
});

describe('formatObjectPath', () => {
  it.each([
    [
      ['spec', 'template', 'spec', 'containers', 0, 'env', 2, 'value'],
      'spec.template.spec.containers[0].env[2].value',
    ],
    [
      ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration'],
      'metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]',
    ],
    [['data', 'DB_PASSWORD'], 'data.DB_PASSWORD'],
    [[], ''],
  ] as const)('%j → %s', (path, expected) => {
    expect(formatObjectPath(path)).toBe(expected);
  });
});
