import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { secretsCoverage } from './audit.js';
import { EncryptionConfigError } from './errors.js';
import type { EncryptionConfig, EncryptionProvider, EncryptionResourceConfig } from './types.js';

/** The providers `gen encryption-config` can make a fresh entry for. */
export const GENERATED_PROVIDERS = ['secretbox', 'aesgcm', 'aescbc', 'kms-v2'] as const;
export type GeneratedProviderType = (typeof GENERATED_PROVIDERS)[number];

export type GenerateEncryptionConfigOptions = {
  /** Default `secretbox`: strong, and needs no KMS plugin. */
  readonly provider?: GeneratedProviderType;
  /** Names the key (`key-20261127`); default now. */
  readonly now?: Date;
  /** For kms-v2: the plugin's socket (`unix:///var/run/kms.sock`), and optionally its name and timeout. */
  readonly kms?: { readonly endpoint: string; readonly name?: string; readonly timeout?: string };
  /** The configuration in use, when rotating: its providers and keys are kept after the new one. */
  readonly rotateFrom?: EncryptionConfig;
  /** The source of randomness; tests only. Default crypto.randomBytes. */
  readonly random?: (size: number) => Buffer;
};

/** A new configuration and the name of the provider or key that now encrypts writes. */
export type GeneratedEncryptionConfig = {
  readonly config: EncryptionConfig;
  /** The new key's name (or the new KMS provider's). */
  readonly keyName: string;
};

// All three local-key providers get 32 bytes: AES-256 for aescbc and aesgcm (the API reference
// asks 32 for aescbc), and the one size secretbox takes.
const KEY_BYTES = 32;

function dateStamp(now: Date): string {
  return now.toISOString().slice(0, 10).replaceAll('-', '');
}

function usedNames(config: EncryptionConfig | undefined): Set<string> {
  const names = new Set<string>();
  for (const entry of config?.resources ?? []) {
    for (const p of entry.providers) {
      if (p.type === 'kms') names.add(p.name);
      else if (p.type !== 'identity') for (const k of p.keys) names.add(k.name);
    }
  }
  return names;
}

function uniqueName(base: string, used: ReadonlySet<string>): string {
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** The provider list of a rotated entry: the new key first, old providers after, identity last. */
function rotate(providers: readonly EncryptionProvider[], fresh: EncryptionProvider): EncryptionProvider[] {
  const rest = providers.filter((p) => p.type !== 'identity');
  const hadIdentity = rest.length !== providers.length;
  const [first, ...others] = rest;
  let head: EncryptionProvider[];
  // The same local-key provider already writes: the new key goes first in its list, the way the
  // Kubernetes docs rotate a key, so the old one keeps decrypting what it wrote.
  if (fresh.type !== 'kms' && fresh.type !== 'identity' && first?.type === fresh.type) {
    head = [{ type: fresh.type, keys: [...fresh.keys, ...first.keys] }, ...others];
  } else {
    head = [fresh, ...rest];
  }
  return hadIdentity ? [...head, { type: 'identity' }] : head;
}

/**
 * A new EncryptionConfiguration whose first provider holds a fresh random key (or a KMS v2
 * plugin). Without `rotateFrom` it covers Secrets, with `identity` last so Secrets written
 * before encryption was enabled stay readable. With `rotateFrom`, every entry that encrypts (and
 * the one holding Secrets) gets the new key first and keeps its old providers and keys after
 * it; plain-text opt-outs (events with identity) stay as they were.
 *
 * @throws EncryptionConfigError ENCRYPTION_CONFIG_INVALID for kms-v2 without an endpoint.
 */
export function generateEncryptionConfig(
  options: GenerateEncryptionConfigOptions = {},
): GeneratedEncryptionConfig {
  const provider = options.provider ?? 'secretbox';
  const now = options.now ?? new Date();
  const used = usedNames(options.rotateFrom);
  let fresh: EncryptionProvider;
  let keyName: string;
  if (provider === 'kms-v2') {
    const kms = options.kms;
    if (kms === undefined || !kms.endpoint.startsWith('unix://')) {
      throw new EncryptionConfigError(
        'ENCRYPTION_CONFIG_INVALID',
        'a kms-v2 provider needs the plugin socket as a unix:// endpoint (--kms-endpoint unix:///var/run/kmsplugin/socket.sock)',
      );
    }
    keyName = uniqueName(kms.name ?? `kms-${dateStamp(now)}`, used);
    fresh = {
      type: 'kms',
      apiVersion: 'v2',
      name: keyName,
      endpoint: kms.endpoint,
      timeout: kms.timeout ?? '3s',
    };
  } else {
    keyName = uniqueName(`key-${dateStamp(now)}`, used);
    const secret = (options.random ?? randomBytes)(KEY_BYTES).toString('base64');
    fresh = { type: provider, keys: [{ name: keyName, secret }] };
  }

  const old = options.rotateFrom;
  if (old === undefined) {
    return {
      keyName,
      config: {
        apiVersion: 'apiserver.config.k8s.io/v1',
        kind: 'EncryptionConfiguration',
        resources: [{ resources: ['secrets'], providers: [fresh, { type: 'identity' }] }],
      },
    };
  }
  const secrets = secretsCoverage(old.resources);
  const resources: EncryptionResourceConfig[] = old.resources.map((entry, i) =>
    i === secrets?.entry || entry.providers[0]?.type !== 'identity'
      ? { resources: entry.resources, providers: rotate(entry.providers, fresh) }
      : entry,
  );
  if (secrets === undefined) {
    // Listed first: a specific resource must come before any wildcard that would mask it.
    resources.unshift({ resources: ['secrets'], providers: [fresh, { type: 'identity' }] });
  }
  return {
    keyName,
    config: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources },
  };
}

function providerDocument(p: EncryptionProvider): Record<string, unknown> {
  switch (p.type) {
    case 'identity':
      return { identity: {} };
    case 'kms':
      return {
        kms: {
          apiVersion: p.apiVersion,
          name: p.name,
          endpoint: p.endpoint,
          ...(p.cachesize === undefined ? {} : { cachesize: p.cachesize }),
          ...(p.timeout === undefined ? {} : { timeout: p.timeout }),
        },
      };
    case 'aescbc':
    case 'aesgcm':
    case 'secretbox':
      return { [p.type]: { keys: p.keys.map((k) => ({ name: k.name, secret: k.secret })) } };
  }
}

/** The configuration as the YAML file kube-apiserver reads, under an optional comment header. */
export function formatEncryptionConfig(config: EncryptionConfig, header = ''): string {
  const body = stringify({
    apiVersion: config.apiVersion,
    kind: config.kind,
    resources: config.resources.map((entry) => ({
      resources: [...entry.resources],
      providers: entry.providers.map(providerDocument),
    })),
  });
  const comment =
    header === ''
      ? ''
      : `${header
          .split('\n')
          .map((l) => `# ${l}`.trimEnd())
          .join('\n')}\n`;
  return `${comment}${body}`;
}
