import { tryParseRepositoryPrefix } from '../../imageref/index.js';
import { asRecord, asString } from '../pod.js';
import type { AuditContext, ObjectRule, RuleHit } from '../types.js';
import { allowedRegistries } from './policy-lists.js';
import { decodeBase64, redact } from './secret-values.js';

const FORMATS = {
  'kubernetes.io/dockerconfigjson': '.dockerconfigjson',
  'kubernetes.io/dockercfg': '.dockercfg',
} as const;

type Format = keyof typeof FORMATS;

function isFormat(type: string): type is Format {
  return Object.hasOwn(FORMATS, type);
}

/** What one registry entry gives away, or a reason it is malformed. */
function judgeEntry(
  registry: string,
  entry: unknown,
): { severity: 'high' | 'medium'; message: string } | undefined {
  const e = asRecord(entry);
  if (e === undefined) return { severity: 'medium', message: `entry for ${registry} is not an object` };
  const password = asString(e['password']);
  const username = asString(e['username']);
  if (password !== undefined && password !== '') {
    return {
      severity: 'high',
      message: `keeps a plaintext password for ${username ?? 'a user'} at ${registry} (${redact(password)})`,
    };
  }
  const auth = asString(e['auth']);
  if (auth !== undefined && auth !== '') {
    const decoded = decodeBase64(auth);
    const colon = decoded?.indexOf(':') ?? -1;
    if (decoded === undefined || colon <= 0) {
      return { severity: 'medium', message: `auth for ${registry} is not base64 of user:password` };
    }
    return {
      severity: 'high',
      message: `holds the password of ${decoded.slice(0, colon)} at ${registry} in auth, base64 only (${redact(decoded.slice(colon + 1))})`,
    };
  }
  for (const field of ['identitytoken', 'registrytoken']) {
    const token = asString(e[field]);
    if (token !== undefined && token !== '') {
      return { severity: 'high', message: `holds a ${field} for ${registry} (${redact(token)})` };
    }
  }
  return undefined;
}

/** Reads the config of a docker-registry Secret: [path, registry map] or a problem. */
function readConfig(
  object: Readonly<Record<string, unknown>>,
  type: Format,
): { path: string[]; auths: Readonly<Record<string, unknown>> } | { path: string[]; problem: string } {
  const key = FORMATS[type];
  const plain = asString(asRecord(object['stringData'])?.[key]);
  const encoded = asString(asRecord(object['data'])?.[key]);
  const path = plain !== undefined ? ['stringData', key] : ['data', key];
  if (plain === undefined && encoded === undefined) {
    return { path: ['type'], problem: `has no ${key} key in data or stringData (the API server refuses it)` };
  }
  const text = plain ?? decodeBase64(encoded ?? '');
  if (text === undefined) return { path, problem: `${key} is not valid base64` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { path, problem: `${key} is not JSON` };
  }
  // .dockercfg is the registry map itself; .dockerconfigjson nests it under "auths".
  const auths = type === 'kubernetes.io/dockercfg' ? asRecord(parsed) : asRecord(asRecord(parsed)?.['auths']);
  if (auths === undefined) {
    return { path, problem: `${key} has no "auths" object: the kubelet will find no credentials in it` };
  }
  return { path, auths };
}

// Names Docker Hub's credentials are stored under (docker login writes the v1 URL).
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The registry host of an `auths` key, which may be a URL (`https://index.docker.io/v1/`). */
function registryHost(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host;
}

/**
 * True when the policy names allowed registries and none of them is on this registry. A
 * credential is registry-wide, so a repository prefix (`ghcr.io/acme`) admits its registry.
 */
function outsidePolicy(registry: string, context: AuditContext): boolean {
  const allowed = allowedRegistries(context.policy);
  if (allowed === undefined) return false;
  const host = registryHost(registry);
  return !allowed.some((p) => tryParseRepositoryPrefix(p)?.registry === host);
}

/** kubernetes.io/dockerconfigjson (and dockercfg) Secrets: decoded, checked, credentials named. */
export const pullSecretContents: ObjectRule = {
  meta: {
    id: 'PC-K8S-006',
    severity: 'high',
    title: 'Registry credentials in a docker-registry Secret',
    hint: 'Create pull secrets in the cluster from a store (External Secrets, a registry credential provider, workload identity) instead of committing them; give each Secret one registry and a read-only robot account.',
    docs: 'docs/rules/PC-K8S-006.md',
    equivalents: { trivy: ['dockerconfig-secret'] },
  },
  *check(object, context) {
    if (object.resource.kind !== 'Secret') return;
    const type = asString(object.object['type']) ?? '';
    if (!isFormat(type)) return;
    const config = readConfig(object.object, type);
    if ('problem' in config) {
      yield {
        path: config.path,
        message: `${type} Secret ${config.problem}`,
        severity: 'medium',
      } satisfies RuleHit;
      return;
    }
    const registries = Object.keys(config.auths);
    for (const registry of registries) {
      const judged = judgeEntry(registry, config.auths[registry]);
      if (judged !== undefined) {
        yield { path: config.path, message: `${type} Secret ${judged.message}`, severity: judged.severity };
      }
      if (outsidePolicy(registry, context)) {
        yield {
          path: config.path,
          message: `${type} Secret has credentials for ${registry}, which is not among the policy's allowed registries`,
          severity: 'medium',
        };
      }
    }
    if (registries.length > 1) {
      yield {
        path: config.path,
        message: `${type} Secret holds credentials for ${registries.length} registries (${registries.join(', ')}): one leak exposes them all`,
        severity: 'low',
      };
    }
  },
};
