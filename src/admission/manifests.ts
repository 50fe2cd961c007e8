import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { Document, isMap, isScalar } from 'yaml';
import { errorMessage, PortcullisError, truncateForMessage } from '../core/index.js';
import { tryParseImageRef } from '../imageref/index.js';
import { parsePolicy, POLICY_FILE_NAME } from '../policy/index.js';

export type AdmissionManifestsErrorCode =
  /** An option cannot make valid objects (namespace or name not a DNS label, timeout out of range, …). */
  'ADMISSION_MANIFESTS_INVALID';

/** Thrown by {@link buildAdmissionManifests} for options that would make objects the API server refuses. */
export class AdmissionManifestsError extends PortcullisError<AdmissionManifestsErrorCode> {}

/** What the API server does with a request when the webhook cannot be called or does not answer in time. */
export type FailurePolicy = 'Fail' | 'Ignore';

/** The CA and serving certificate the webhook uses; PEM text, the key unencrypted (PKCS#8 or SEC1). */
export type ManifestTls = {
  /** The CA that signed `certPem`: it becomes the webhook configurations' `caBundle` and the Secret's `ca.crt`. */
  readonly caCertPem: string;
  /** The serving certificate, valid for {@link serviceDnsNames}. */
  readonly certPem: string;
  readonly keyPem: string;
};

export type AdmissionManifestOptions = {
  /** The namespace the webhook runs in; it must exist already (it is not created). */
  readonly namespace: string;
  /** Name of the Deployment, Service and the rest (default {@link DEFAULT_WEBHOOK_NAME}). */
  readonly name?: string;
  /** The container image; its entrypoint is `portcullis`. */
  readonly image: string;
  /** The policy file's text, embedded unchanged (comments kept) after it is validated. */
  readonly policyText: string;
  /** Where the policy came from, for error messages (default `portcullis.yaml`). */
  readonly policyFileName?: string;
  readonly tls: ManifestTls;
  /** The validating webhook's failurePolicy (default `Fail`; see docs/admission.md). */
  readonly failurePolicy?: FailurePolicy;
  /** The API server's timeout for each call, 1..30 s (default 10). */
  readonly timeoutSeconds?: number;
  /** Include the MutatingWebhookConfiguration that pins tags to digests (default true). */
  readonly mutating?: boolean;
};

/** One Kubernetes object as plain data. */
export type KubeObject = {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<string, unknown>;
} & Record<string, unknown>;

export type AdmissionManifests = {
  /** The objects in apply order (ServiceAccount … webhook configurations last, once the Service exists). */
  readonly objects: readonly KubeObject[];
  /** Multi-document YAML for `kubectl apply -f -`, with comments; it holds the TLS private key. */
  readonly yaml: string;
  /** The `--deadline-ms` given to the server: below the webhook timeout by a margin. */
  readonly deadlineMs: number;
};

export const DEFAULT_WEBHOOK_NAME = 'portcullis-admission';
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** A namespace with this label set to "true" is not sent to the webhooks. */
export const OPT_OUT_LABEL = 'portcullis.dev/ignore';
/** The container port the server listens on (unprivileged: the pod runs as non-root). */
export const WEBHOOK_PORT = 8443;
const DRAIN_MS = 5000;
/** A non-root UID/GID that exists in distroless images (`nonroot`), numeric so runAsNonRoot can be checked. */
export const WEBHOOK_UID = 65532;

const TLS_DIR = '/etc/portcullis/tls';
const POLICY_DIR = '/etc/portcullis/policy';

// RFC 1123 label (namespaces) and RFC 1035 label (Service names must start with a letter).
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The names a client inside the cluster may use for the Service; the API server calls
 * `name.namespace.svc`, the others are for humans testing with curl from a pod.
 */
export function serviceDnsNames(name: string, namespace: string): string[] {
  return [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`, `${name}.${namespace}`, name];
}

/**
 * The server's own deadline for a decision: the webhook timeout minus a margin (20%, at least
 * 250 ms, at most 2 s) for the API server's connection, TLS handshake and response, so the
 * server answers (deny or allow-with-warning per the rule's onError) before the API server gives
 * up and applies failurePolicy instead.
 */
export function webhookDeadlineMs(timeoutSeconds: number): number {
  const timeoutMs = timeoutSeconds * 1000;
  const margin = Math.min(2000, Math.max(250, Math.round(timeoutMs * 0.2)));
  return timeoutMs - margin;
}

function invalid(message: string): AdmissionManifestsError {
  return new AdmissionManifestsError('ADMISSION_MANIFESTS_INVALID', message);
}

/**
 * Checks the namespace and webhook name before anything is generated for them (the serving
 * certificate is issued for names made from both).
 *
 * @throws AdmissionManifestsError ADMISSION_MANIFESTS_INVALID naming the value.
 */
export function assertWebhookNames(namespace: string, name: string): void {
  if (!DNS1123_LABEL.test(namespace)) {
    throw invalid(
      `namespace "${truncateForMessage(namespace, 80)}" is not a DNS label (lowercase letters, digits and "-", at most 63)`,
    );
  }
  if (!DNS1035_LABEL.test(name)) {
    throw invalid(
      `name "${truncateForMessage(name, 80)}" is not a Service name (a lowercase letter, then letters, digits and "-", at most 63)`,
    );
  }
}

function checkOptions(o: AdmissionManifestOptions, name: string, timeoutSeconds: number): void {
  assertWebhookNames(o.namespace, name);
  if (tryParseImageRef(o.image) === undefined) {
    throw invalid(`image "${truncateForMessage(o.image, 120)}" is not an image reference`);
  }
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    // The API server refuses timeoutSeconds outside 1..30.
    throw invalid(`timeoutSeconds must be a whole number from 1 to 30, not ${String(timeoutSeconds)}`);
  }
  checkTls(o.tls, serviceDnsNames(name, o.namespace)[0] ?? name);
}

// The certificates are checked here, not discovered broken in the cluster as "x509: certificate
// signed by unknown authority" on every pod creation.
function checkTls(tls: ManifestTls, host: string): void {
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(tls.caCertPem);
    cert = new X509Certificate(tls.certPem);
  } catch (err) {
    throw invalid(`the CA or serving certificate is not a PEM certificate: ${errorMessage(err)}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(tls.keyPem);
  } catch {
    // Never the key's text or the parser's message about it in an error.
    throw invalid('the serving key is not an unencrypted PEM private key');
  }
  if (!ca.ca) throw invalid(`the CA certificate (${ca.subject}) is not a CA (basicConstraints CA:FALSE)`);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw invalid('the serving certificate is not signed by the CA that goes into caBundle');
  }
  if (cert.checkHost(host) === undefined) {
    throw invalid(`the serving certificate is not valid for ${host}, the name the API server calls`);
  }
  if (!cert.checkPrivateKey(key)) throw invalid('the serving key does not belong to the serving certificate');
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

// Every kind the decision core judges, CREATE and UPDATE (an UPDATE can change an image).
// pods/ephemeralcontainers is a subresource: `kubectl debug` adds containers through it, and a
// rule on `pods` alone does not see it.
function webhookRules(): Record<string, unknown>[] {
  const rule = (apiGroup: string, resources: string[]) => ({
    apiGroups: [apiGroup],
    apiVersions: ['v1'],
    operations: ['CREATE', 'UPDATE'],
    resources,
    scope: 'Namespaced',
  });
  return [
    rule('', ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers', 'podtemplates']),
    rule('apps', ['deployments', 'replicasets', 'statefulsets', 'daemonsets']),
    rule('batch', ['jobs', 'cronjobs']),
  ];
}

/**
 * The Kubernetes objects that run the admission webhook, and their YAML: ServiceAccount,
 * ConfigMap (the policy), Secret (TLS), Service, Deployment, PodDisruptionBudget and the
 * Validating (and Mutating) webhook configurations with `caBundle` filled in. Pure: the caller
 * reads the policy file and generates the certificates.
 *
 * @throws PolicyError POLICY_INVALID or POLICY_TOO_LARGE when the policy text is not a valid
 *   policy (the message names file:line:col); AdmissionManifestsError ADMISSION_MANIFESTS_INVALID
 *   for options the API server would refuse.
 */
export function buildAdmissionManifests(o: AdmissionManifestOptions): AdmissionManifests {
  const name = o.name ?? DEFAULT_WEBHOOK_NAME;
  const namespace = o.namespace;
  const timeoutSeconds = o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const failurePolicy = o.failurePolicy ?? 'Fail';
  checkOptions(o, name, timeoutSeconds);
  parsePolicy(o.policyText, o.policyFileName ?? POLICY_FILE_NAME);
  const deadlineMs = webhookDeadlineMs(timeoutSeconds);

  const selectorLabels = { 'app.kubernetes.io/name': 'portcullis', 'app.kubernetes.io/instance': name };
  const labels = { ...selectorLabels, 'app.kubernetes.io/component': 'admission-webhook' };
  const meta = (objectName: string) => ({ name: objectName, namespace, labels });
  const secretName = `${name}-tls`;
  const configMapName = `${name}-policy`;

  const serviceAccount: KubeObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(name),
    // The webhook reads nothing from the API server (the AdmissionReview carries the object), so
    // it gets no token and no Role.
    automountServiceAccountToken: false,
  };
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(configMapName),
    data: { [POLICY_FILE_NAME]: o.policyText },
  };
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(secretName),
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(o.tls.certPem), 'tls.key': b64(o.tls.keyPem), 'ca.crt': b64(o.tls.caCertPem) },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels,
      ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }],
    },
  };
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'https', scheme: 'HTTPS' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      // Two replicas and a PDB: with failurePolicy Fail a single pod being rescheduled would
      // block every pod creation in the cluster.
      replicas: 2,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          // A new policy or certificate changes the template, so `kubectl apply` rolls the pods.
          annotations: {
            'portcullis.dev/policy-sha256': sha256(o.policyText),
            'portcullis.dev/tls-sha256': sha256(o.tls.certPem),
          },
        },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30, // the drain (5 s) plus in-flight requests (at most timeoutSeconds)
          securityContext: {
            runAsNonRoot: true,
            runAsUser: WEBHOOK_UID,
            runAsGroup: WEBHOOK_UID,
            // The Secret's files are group-readable by this GID (defaultMode 0440 below).
            fsGroup: WEBHOOK_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: selectorLabels },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selectorLabels },
            },
          ],
          containers: [
            {
              name: 'webhook',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: [
                'admission',
                'serve',
                '--tls-cert',
                `${TLS_DIR}/tls.crt`,
                '--tls-key',
                `${TLS_DIR}/tls.key`,
                '--policy',
                `${POLICY_DIR}/${POLICY_FILE_NAME}`,
                '--listen',
                `0.0.0.0:${WEBHOOK_PORT}`,
                '--deadline-ms',
                String(deadlineMs),
                // Endpoints lag a terminating pod by a few seconds: keep answering (readiness
                // 503) while the Service stops routing here, well inside the grace period.
                '--drain-ms',
                String(DRAIN_MS),
              ],
              env: [{ name: 'PORTCULLIS_CACHE_DIR', value: '/tmp/portcullis-cache' }],
              ports: [{ name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' }],
              livenessProbe: probe('/healthz', 10, 3),
              readinessProbe: probe('/readyz', 5, 2),
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '1', memory: '256Mi' },
              },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: WEBHOOK_UID,
                runAsGroup: WEBHOOK_UID,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'tls', mountPath: TLS_DIR, readOnly: true },
                { name: 'policy', mountPath: POLICY_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'tls', secret: { secretName, defaultMode: 0o440 } },
            { name: 'policy', configMap: { name: configMapName, defaultMode: 0o444 } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
    },
  };
  const pdb: KubeObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    spec: { minAvailable: 1, selector: { matchLabels: selectorLabels } },
  };

  const namespaceSelector = {
    matchExpressions: [
      // kube-system runs what the cluster needs to recover; the webhook's own namespace must
      // not wait on the webhook, or its pods could never be recreated while it is down.
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', namespace] },
      { key: OPT_OUT_LABEL, operator: 'NotIn', values: ['true'] },
    ],
  };
  const webhook = (path: string, prefix: string, policy: FailurePolicy) => ({
    name: `${prefix}.portcullis.dev`,
    admissionReviewVersions: ['v1'],
    clientConfig: {
      service: { name, namespace, path, port: 443 },
      caBundle: b64(o.tls.caCertPem),
    },
    failurePolicy: policy,
    matchPolicy: 'Equivalent',
    namespaceSelector,
    rules: webhookRules(),
    sideEffects: 'None',
    timeoutSeconds,
  });
  // Cluster-scoped: the namespace in the name keeps two installations apart.
  const configName = `${name}.${namespace}`;
  const validating: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: configName, labels },
    webhooks: [webhook('/validate', 'validate', failurePolicy)],
  };
  const mutating: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: configName, labels },
    webhooks: [{ ...webhook('/mutate', 'mutate', 'Ignore'), reinvocationPolicy: 'IfNeeded' }],
  };

  const objects: KubeObject[] = [serviceAccount, configMap, secret, service, deployment, pdb, validating];
  if (o.mutating !== false) objects.push(mutating);
  return { objects, deadlineMs, yaml: formatManifests(objects, { name, namespace }) };
}

const FAILURE_POLICY_COMMENT: Readonly<Record<string, string>> = {
  'ValidatingWebhookConfiguration:Fail':
    ' Fail: fail closed. This webhook is the security gate; if it cannot answer, nothing it would\n' +
    ' have judged is admitted. kube-system, this namespace and opted-out namespaces are excluded.',
  'ValidatingWebhookConfiguration:Ignore':
    ' Ignore: fail OPEN. While the webhook is down or slow, images are admitted unchecked.\n' +
    ' Meant for a first rollout only; regenerate with --failure-policy Fail afterwards.',
  'MutatingWebhookConfiguration:Ignore':
    ' Ignore: pinning tags to digests is not the gate. If it fails the object goes on unpinned\n' +
    ' to the validating webhook, which still judges it (and denies it under requireDigest).',
};

function formatManifests(
  objects: readonly KubeObject[],
  o: { readonly name: string; readonly namespace: string },
): string {
  const docs = objects.map((object, i) => {
    // YAML 1.1 output: kubectl reads YAML 1.1, where an unquoted `y`, `no` or `on` (valid
    // namespace names) would become a boolean; the 1.1 stringifier quotes them.
    const doc = new Document(object, { version: '1.1', aliasDuplicateObjects: false });
    if (i === 0) {
      doc.commentBefore = [
        ` Portcullis admission webhook "${o.name}" in namespace "${o.namespace}".`,
        ` The namespace must exist: kubectl create namespace ${o.namespace}`,
        ` Apply: kubectl apply -f FILE. Each run makes a new CA and serving certificate.`,
        ` This file holds a private key (Secret ${o.name}-tls): keep it like a secret.`,
      ].join('\n');
    }
    const hook = doc.getIn(['webhooks', 0], true);
    if (isMap(hook)) {
      const comment = FAILURE_POLICY_COMMENT[`${object.kind}:${String(hook.get('failurePolicy'))}`];
      const pair = hook.items.find((p) => isScalar(p.key) && p.key.value === 'failurePolicy');
      if (pair !== undefined && isScalar(pair.key) && comment !== undefined) pair.key.commentBefore = comment;
    }
    if (object.kind === 'Deployment') {
      // YAML has no octal in JSON-compatible output: say what the decimal modes mean.
      const volumes = ['spec', 'template', 'spec', 'volumes'];
      const modes: readonly [number, string, string][] = [
        [0, 'secret', ' 0440: read by owner and fsGroup only'],
        [1, 'configMap', ' 0444'],
      ];
      for (const [i, source, comment] of modes) {
        const mode = doc.getIn([...volumes, i, source, 'defaultMode'], true);
        if (isScalar(mode)) mode.comment = comment;
      }
    }
    return doc.toString({ lineWidth: 0 });
  });
  return docs.join('---\n');
}
