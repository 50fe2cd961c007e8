import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isPortcullisError } from '../core/index.js';
import { parsePolicy } from '../policy/index.js';
import {
  buildAdmissionManifests,
  OPT_OUT_LABEL,
  serviceDnsNames,
  webhookDeadlineMs,
  type AdmissionManifestOptions,
} from './index.js';

// `kubectl create --dry-run=client -f` cannot check these offline: even with --validate=false it
// asks the API server for discovery (RESTMapper) before it decodes a kind ("couldn't get current
// server API group list"), and --validate=strict downloads /openapi/v2. So the objects are checked
// against the Kubernetes OpenAPI schemas compiled into kubernetes-models instead, plus the
// unknown-field check below that those schemas leave out.

const tlsDir = path.join(import.meta.dirname, 'testdata', 'webhook-tls');
const read = (name: string) => readFileSync(path.join(tlsDir, name), 'utf8');
const tls = { caCertPem: read('ca.crt'), certPem: read('tls.crt'), keyPem: read('tls.key') };
const policyText = readFileSync(
  path.join(import.meta.dirname, '..', '..', 'examples', 'portcullis.yaml'),
  'utf8',
);

const otherKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

const base: AdmissionManifestOptions = {
  namespace: 'portcullis',
  image: 'registry.example/portcullis:0.1.0',
  policyText,
  tls,
};

type Json = Record<string, unknown>;
type ModelClass = { readonly prototype: object };

// Each kind's model; its validate() runs the compiled OpenAPI schema of the Kubernetes type on `this`.
const MODELS: Readonly<Record<string, ModelClass>> = {
  ServiceAccount,
  ConfigMap,
  Secret,
  Service,
  Deployment,
  PodDisruptionBudget,
  ValidatingWebhookConfiguration,
  MutatingWebhookConfiguration,
};

function isObject(v: unknown): v is object {
  return typeof v === 'object' && Boolean(v);
}

/**
 * Validates `object` against its kind's schema and returns the JSON pointers of fields the schema
 * does not know. The compiled schemas accept unknown fields (the API server would drop them, or
 * refuse them under kubectl --validate=strict), but they read every property they define; the
 * object is wrapped in proxies that record each property read, and a key that was never read is
 * not in the schema. Maps (labels, ConfigMap data) are read key by key, so their keys count.
 */
function schemaCheck(object: Json): string[] {
  const model = MODELS[String(object['kind'])];
  if (model === undefined) throw new Error(`no schema for kind ${String(object['kind'])}`);
  // A copy of the object with the model's prototype, so validate() is called as a method on it.
  const root = Object.assign(Object.create(model.prototype) as Json, object);
  const reads = new WeakMap<object, Set<PropertyKey>>();
  const proxies = new WeakMap<object, object>();
  const wrap = (v: unknown): unknown => {
    if (!isObject(v)) return v;
    const known = proxies.get(v);
    if (known !== undefined) return known;
    const seen = new Set<PropertyKey>();
    reads.set(v, seen);
    const proxy = new Proxy(v, {
      get(target, key, receiver) {
        seen.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
    });
    proxies.set(v, proxy);
    return proxy;
  };
  (wrap(root) as { validate(): void }).validate(); // throws ValidationError on a type or enum violation
  const unknown: string[] = [];
  const walk = (v: unknown, pointer: string): void => {
    if (!isObject(v)) return;
    const seen = reads.get(v);
    for (const [key, child] of Object.entries(v)) {
      const at = `${pointer}/${key}`;
      if (seen?.has(key) !== true) unknown.push(at);
      else walk(child, at);
    }
  };
  walk(root, '');
  return unknown;
}

function parseYamlObjects(yaml: string): Json[] {
  // As kubectl reads it: YAML 1.1.
  return parseAllDocuments(yaml, { version: '1.1' }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Json;
  });
}

function find(objects: readonly Json[], kind: string): Json {
  const o = objects.find((x) => x['kind'] === kind);
  if (o === undefined) throw new Error(`no ${kind}`);
  return o;
}

function at(object: unknown, pointer: string): unknown {
  let v = object;
  for (const part of pointer.split('/').slice(1)) {
    if (!isObject(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Every JSON pointer to an object (map or array element object) inside `v`. */
function objectPointers(v: unknown, pointer = ''): string[] {
  if (!isObject(v)) return [];
  const here = Array.isArray(v) ? [] : [pointer];
  return [...here, ...Object.entries(v).flatMap(([k, c]) => objectPointers(c, `${pointer}/${k}`))];
}

// Free-form maps, where any key is legal (labels, ConfigMap and Secret data, quantities, Service
// selector); everywhere else a made-up key must be reported.
const MAP_FIELDS = /\/(labels|annotations|matchLabels|data|requests|limits)$|^\/spec\/selector$/;

const { objects, yaml, deadlineMs } = buildAdmissionManifests(base);
const parsed = parseYamlObjects(yaml);

describe('admission manifests: Kubernetes schemas', () => {
  it('makes the objects in apply order, namespaced except the webhook configurations', () => {
    expect(parsed.map((o) => o['kind'])).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Secret',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
    ]);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(objects)));
    for (const o of parsed.slice(0, 6)) expect(at(o, '/metadata/namespace')).toBe('portcullis');
    for (const o of parsed.slice(6)) expect(at(o, '/metadata/namespace')).toBeUndefined();
  });

  it.each(parsed.map((o) => [o['kind'], o] as const))(
    '%s validates against its schema and has no field the schema does not know',
    (_kind, object) => {
      expect(schemaCheck(object)).toEqual([]);
    },
  );

  it.each(parsed.map((o) => [o['kind'], o] as const))(
    '%s: a made-up key at any level of the object is reported',
    (_kind, object) => {
      const pointers = objectPointers(object).filter((p) => !MAP_FIELDS.test(p));
      expect(pointers.length).toBeGreaterThan(1);
      for (const pointer of pointers) {
        const copy = structuredClone(object);
        (at(copy, pointer) as Json)['portcullisBogus'] = 1;
        expect(schemaCheck(copy), pointer).toEqual([`${pointer}/portcullisBogus`]);
      }
    },
  );

  it.each([
    [
      'a misspelt security field',
      '/spec/template/spec/containers/0/securityContext',
      'readOnlyRootFileSystem',
    ],
    ['a webhook field from another version', '/webhooks/0', 'admissionReviewVersion'],
  ])('reports %s', (_what, pointer, key) => {
    const object = structuredClone(
      find(parsed, pointer.startsWith('/webhooks') ? 'ValidatingWebhookConfiguration' : 'Deployment'),
    );
    (at(object, pointer) as Json)[key] = true;
    expect(schemaCheck(object)).toEqual([`${pointer}/${key}`]);
  });

  it.each([
    ['Deployment', '/spec', 'replicas', '2'],
    ['ValidatingWebhookConfiguration', '/webhooks/0', 'failurePolicy', 'Deny'],
    ['MutatingWebhookConfiguration', '/webhooks/0', 'reinvocationPolicy', 'Always'],
    ['Service', '/spec/ports/0', 'port', 'https'],
  ])('%s with a wrong value at %s/%s fails schema validation', (kind, pointer, key, value) => {
    const object = structuredClone(find(parsed, kind));
    (at(object, pointer) as Json)[key] = value;
    expect(() => schemaCheck(object)).toThrow(key);
  });
});

describe('admission manifests: what they configure', () => {
  const deployment = find(parsed, 'Deployment');
  const pod = at(deployment, '/spec/template/spec') as Json;
  const container = at(pod, '/containers/0') as Json;
  const validating = find(parsed, 'ValidatingWebhookConfiguration');
  const mutating = find(parsed, 'MutatingWebhookConfiguration');
  const hooks = [at(validating, '/webhooks/0'), at(mutating, '/webhooks/0')] as Json[];

  it('runs two non-root, read-only, capability-less replicas with probes over HTTPS', () => {
    expect(at(deployment, '/spec/replicas')).toBe(2);
    expect(pod['automountServiceAccountToken']).toBe(false);
    expect(at(pod, '/securityContext')).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container['securityContext']).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(at(container, '/livenessProbe/httpGet')).toEqual({
      path: '/healthz',
      port: 'https',
      scheme: 'HTTPS',
    });
    expect(at(container, '/readinessProbe/httpGet')).toEqual({
      path: '/readyz',
      port: 'https',
      scheme: 'HTTPS',
    });
    expect(at(container, '/resources/requests')).toBeDefined();
    expect(at(container, '/resources/limits')).toBeDefined();
    expect(
      at(
        pod,
        '/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0/podAffinityTerm/topologyKey',
      ),
    ).toBe('kubernetes.io/hostname');
    expect(at(pod, '/volumes')).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
    expect(at(find(parsed, 'PodDisruptionBudget'), '/spec/minAvailable')).toBe(1);
    expect(at(find(parsed, 'ServiceAccount'), '/automountServiceAccountToken')).toBe(false);
    expect(parsed.map((o) => o['kind'])).not.toContain('Role');
  });

  it('passes the server its files, listen address and a deadline below the webhook timeout', () => {
    const args = container['args'] as string[];
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(args.slice(0, 2)).toEqual(['admission', 'serve']);
    expect(flag('--tls-cert')).toBe('/etc/portcullis/tls/tls.crt');
    expect(flag('--tls-key')).toBe('/etc/portcullis/tls/tls.key');
    expect(flag('--policy')).toBe('/etc/portcullis/policy/portcullis.yaml');
    expect(flag('--listen')).toBe('0.0.0.0:8443');
    expect(Number(flag('--deadline-ms'))).toBe(deadlineMs);
    for (const hook of hooks) expect(deadlineMs).toBeLessThan(Number(hook['timeoutSeconds']) * 1000);
    // Draining ends before the kubelet's grace period would kill the pod.
    const grace = Number(at(find(parsed, 'Deployment'), '/spec/template/spec/terminationGracePeriodSeconds'));
    expect(Number(flag('--drain-ms'))).toBeGreaterThan(0);
    expect(Number(flag('--drain-ms')) + deadlineMs).toBeLessThan(grace * 1000);
    // The mounted files are the ones the flags name.
    const mounts = container['volumeMounts'] as Json[];
    expect(mounts).toContainEqual({ name: 'tls', mountPath: '/etc/portcullis/tls', readOnly: true });
    expect(mounts).toContainEqual({ name: 'policy', mountPath: '/etc/portcullis/policy', readOnly: true });
    expect(at(find(parsed, 'ConfigMap'), '/data/portcullis.yaml')).toBe(policyText);
    expect(at(find(parsed, 'Service'), '/spec/ports/0')).toMatchObject({ port: 443, targetPort: 'https' });
    expect(at(container, '/ports/0')).toMatchObject({ name: 'https', containerPort: 8443 });
  });

  it.each([
    [1, 750],
    [5, 4000],
    [10, 8000],
    [30, 28000],
  ])('deadline for timeoutSeconds %i is %i ms', (seconds, ms) => {
    expect(webhookDeadlineMs(seconds)).toBe(ms);
  });

  it('excludes kube-system, its own namespace and opted-out namespaces from both webhooks', () => {
    for (const hook of hooks) {
      expect(hook['namespaceSelector']).toEqual({
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'portcullis'] },
          { key: OPT_OUT_LABEL, operator: 'NotIn', values: ['true'] },
        ],
      });
    }
  });

  it('sends CREATE and UPDATE of pods (and pods/ephemeralcontainers) and every workload kind', () => {
    for (const hook of hooks) {
      const resources = (hook['rules'] as Json[]).flatMap((r) => {
        expect(r['operations']).toEqual(['CREATE', 'UPDATE']);
        expect(r['apiVersions']).toEqual(['v1']);
        const group = (r['apiGroups'] as string[])[0] ?? '';
        return (r['resources'] as string[]).map((res) => `${group}/${res}`);
      });
      expect(resources.sort()).toEqual(
        [
          '/pods',
          '/pods/ephemeralcontainers',
          '/replicationcontrollers',
          '/podtemplates',
          'apps/deployments',
          'apps/replicasets',
          'apps/statefulsets',
          'apps/daemonsets',
          'batch/jobs',
          'batch/cronjobs',
        ].sort(),
      );
      expect(hook).toMatchObject({
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        matchPolicy: 'Equivalent',
        timeoutSeconds: 10,
      });
    }
    expect(hooks[0]).toMatchObject({
      failurePolicy: 'Fail',
      clientConfig: { service: { name: 'portcullis-admission', namespace: 'portcullis', path: '/validate' } },
    });
    expect(hooks[1]).toMatchObject({
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'IfNeeded',
      clientConfig: { service: { path: '/mutate' } },
    });
  });

  it('puts the CA in caBundle and the Secret, and the serving pair in the Secret', () => {
    const secret = find(parsed, 'Secret');
    expect(secret['type']).toBe('kubernetes.io/tls');
    const data = secret['data'] as Record<string, string>;
    const decode = (s: unknown) => Buffer.from(String(s), 'base64').toString('utf8');
    expect(decode(data['tls.crt'])).toBe(tls.certPem);
    expect(decode(data['tls.key'])).toBe(tls.keyPem);
    expect(decode(data['ca.crt'])).toBe(tls.caCertPem);
    for (const hook of hooks) expect(decode(at(hook, '/clientConfig/caBundle'))).toBe(tls.caCertPem);
    const served = new X509Certificate(decode(data['tls.crt']));
    expect(served.verify(new X509Certificate(decode(at(hooks[0], '/clientConfig/caBundle'))).publicKey)).toBe(
      true,
    );
    for (const name of serviceDnsNames('portcullis-admission', 'portcullis'))
      expect(served.checkHost(name)).toBe(name);
  });

  it('explains each failurePolicy and that the namespace must exist, in comments', () => {
    expect(yaml).toMatch(
      /^# .*namespace "portcullis"\.\n# The namespace must exist: kubectl create namespace portcullis\n/,
    );
    expect(yaml).toContain('private key');
    expect(yaml).toContain('defaultMode: 288 # 0440');
    // No anchors or aliases: repeated label maps are written out each time.
    expect(yaml).not.toMatch(/: [&*]a\d+$/m);
    expect(yaml).toMatch(/# Fail: fail closed.*\n.*\n\s+failurePolicy: Fail/);
    expect(yaml).toMatch(/# Ignore: pinning tags to digests is not the gate.*\n.*\n\s+failurePolicy: Ignore/);
  });

  it('leaves out the mutating webhook on request, and documents a fail-open validating webhook', () => {
    const m = buildAdmissionManifests({
      ...base,
      mutating: false,
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
    });
    const kinds = m.objects.map((o) => o.kind);
    expect(kinds).not.toContain('MutatingWebhookConfiguration');
    expect(at(m.objects.at(-1), '/webhooks/0')).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 5 });
    expect(m.deadlineMs).toBe(4000);
    expect(m.yaml).toContain('fail OPEN');
  });
});

describe('admission manifests: refused input', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      if (isPortcullisError(err)) return `${err.code}: ${err.message}`;
      throw err;
    }
    return 'no error';
  };

  it.each<[string, Partial<AdmissionManifestOptions>, RegExp]>([
    ['an upper-case namespace', { namespace: 'Prod' }, /ADMISSION_MANIFESTS_INVALID: namespace "Prod"/],
    ['a name starting with a digit', { name: '1webhook' }, /ADMISSION_MANIFESTS_INVALID: name "1webhook"/],
    ['a name longer than 63', { name: `a${'b'.repeat(63)}` }, /ADMISSION_MANIFESTS_INVALID: name/],
    ['an invalid image', { image: 'UPPER/Case:tag' }, /ADMISSION_MANIFESTS_INVALID: image/],
    ['a timeout over 30 s', { timeoutSeconds: 31 }, /ADMISSION_MANIFESTS_INVALID: timeoutSeconds/],
    ['a timeout of 0', { timeoutSeconds: 0 }, /timeoutSeconds/],
    [
      'a CA that did not sign the certificate',
      { tls: { ...tls, caCertPem: read('other-ca.crt') } },
      /not signed by the CA/,
    ],
    ['a certificate for another Service', { name: 'other' }, /not valid for other\.portcullis\.svc/],
    [
      'a certificate for another namespace',
      { namespace: 'prod' },
      /not valid for portcullis-admission\.prod\.svc/,
    ],
    [
      'a key of another certificate',
      { tls: { ...tls, keyPem: otherKeyPem } },
      /key does not belong to the serving certificate/,
    ],
    ['an empty key', { tls: { ...tls, keyPem: '' } }, /not an unencrypted PEM private key/],
    ['the serving certificate as CA', { tls: { ...tls, caCertPem: tls.certPem } }, /is not a CA/],
  ])('refuses %s', (_what, change, expected) => {
    expect(code(() => buildAdmissionManifests({ ...base, ...change }))).toMatch(expected);
  });

  it('never puts the key in an error', () => {
    const broken = tls.keyPem.replace('-----END PRIVATE KEY-----', '');
    const message = code(() => buildAdmissionManifests({ ...base, tls: { ...tls, keyPem: broken } }));
    expect(message).toMatch(/not an unencrypted PEM private key/);
    const body = tls.keyPem.split('\n')[1] ?? '';
    expect(body.length).toBeGreaterThan(20);
    expect(message).not.toContain(body.slice(0, 20));
  });

  it('refuses an invalid policy, naming file, line and key', () => {
    const bad = policyText.replace(/^apiVersion: .*$/m, '$&\nbogusKey: 1');
    const line = bad.split('\n').findIndex((l) => l.startsWith('bogusKey')) + 1;
    expect(() => parsePolicy(policyText)).not.toThrow();
    expect(
      code(() => buildAdmissionManifests({ ...base, policyText: bad, policyFileName: 'team.yaml' })),
    ).toMatch(new RegExp(`^POLICY_INVALID: team\\.yaml:${line}:1: bogusKey: unknown key`));
  });
});
