import { stringify } from 'yaml';
import { PortcullisError, truncateForMessage } from '../../core/index.js';

export type PullSecretErrorCode =
  'PULL_SECRET_INVALID' | 'PULL_SECRET_NO_CREDENTIALS' | 'PULL_SECRET_CREDENTIAL_UNSUPPORTED';

/** A pull secret that cannot be built: bad names, or no usable credential for the registry. */
export class PullSecretError extends PortcullisError<PullSecretErrorCode> {}

export type PullSecretInput = {
  /** The key under `auths`, exactly as given (`ghcr.io`, `https://index.docker.io/v1/`), as kubectl writes `--docker-server`. */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  /** The Secret's name. */
  readonly name: string;
  readonly namespace?: string;
};

/** A `kubernetes.io/dockerconfigjson` Secret, in the shape `kubectl create secret docker-registry` prints. */
export type PullSecret = {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly type: 'kubernetes.io/dockerconfigjson';
  readonly data: { readonly '.dockerconfigjson': string };
};

// RFC 1123 subdomain (Secret names) and label (namespaces), as the API server validates them.
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw new PullSecretError('PULL_SECRET_INVALID', message);
}

/**
 * Builds the Secret kubelet reads to pull from `registry`: `.dockerconfigjson` holds
 * `{"auths":{REGISTRY:{"username","password","auth"}}}` with `auth` = base64(`user:password`),
 * byte for byte what kubectl writes for the same inputs.
 *
 * @throws PullSecretError PULL_SECRET_INVALID for names the API server would refuse, an empty
 *   password, or a username with `:` (it would split the `auth` field in the wrong place).
 */
export function buildPullSecret(input: PullSecretInput): PullSecret {
  check(
    input.name.length <= 253 && DNS_SUBDOMAIN_RE.test(input.name),
    `Secret name ${JSON.stringify(truncateForMessage(input.name, 80))} is not a lower-case RFC 1123 subdomain (a-z, 0-9, '-' and '.', at most 253 characters)`,
  );
  if (input.namespace !== undefined) {
    check(
      input.namespace.length <= 63 && DNS_LABEL_RE.test(input.namespace),
      `namespace ${JSON.stringify(truncateForMessage(input.namespace, 80))} is not a lower-case RFC 1123 label (a-z, 0-9 and '-', at most 63 characters)`,
    );
  }
  check(
    input.registry !== '' && !/\s/.test(input.registry),
    'the registry must be a host name (ghcr.io, registry.example.com:5000) without spaces',
  );
  check(input.username !== '', 'the username is empty');
  check(
    !input.username.includes(':'),
    "the username contains ':', which the auth field cannot carry (it is user:password)",
  );
  check(input.password !== '', 'the password is empty');
  const auth = Buffer.from(`${input.username}:${input.password}`, 'utf8').toString('base64');
  const dockerConfig = {
    auths: { [input.registry]: { username: input.username, password: input.password, auth } },
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: input.name, ...(input.namespace === undefined ? {} : { namespace: input.namespace }) },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerConfig), 'utf8').toString('base64') },
  };
}

/** The Secret as YAML (the default, ready for `kubectl apply -f`) or JSON. */
export function formatPullSecret(secret: PullSecret, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(secret, undefined, 2)}\n` : stringify(secret);
}
