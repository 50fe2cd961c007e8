import path from 'node:path';
import type { RuleMeta, Severity } from '../../report/index.js';
import type { AuditFinding, KubeResource, PathSegment } from '../types.js';
import { formatFieldPath } from './parse.js';
import {
  AESCBC_KEY_LENGTH,
  AESCBC_WRITES,
  AESGCM_WRITES,
  DUPLICATE_KEY_NAME,
  IDENTITY_FIRST_FOR_SECRETS,
  KMS_V1,
  LOCAL_KEY_PROVIDER,
  PLAIN_TEXT_RESOURCES,
  SECRETS_NOT_COVERED,
  WEAK_KEY_MATERIAL,
  WILDCARD_RESOURCES,
} from './rules.js';
import type { EncryptionProvider, EncryptionResourceConfig, LoadedEncryptionConfig } from './types.js';
import { decodeStdBase64, formatGroupResource, parseGroupResource } from './validate.js';

// Placeholder keys from the Kubernetes documentation's examples (encrypt-data.md), which people
// paste unchanged; anyone holding an etcd backup can try them.
const DOCUMENTED_EXAMPLE_KEYS: ReadonlySet<string> = new Set([
  'c2VjcmV0IGlzIHNlY3VyZQ==',
  'dGhpcyBpcyBwYXNzd29yZA==',
]);

/** Which entry's providers apply to `secrets`, and through which resource name. */
export type SecretsCoverage = { readonly entry: number; readonly via: string };

/**
 * The entry whose providers the API server uses for Secrets: one listing `secrets` exactly,
 * else `*.` (every core resource), else `*.*` (the API server looks them up in that order).
 */
export function secretsCoverage(entries: readonly EncryptionResourceConfig[]): SecretsCoverage | undefined {
  for (const wanted of ['secrets', '*.', '*.*']) {
    for (const [i, entry] of entries.entries()) {
      const hit = entry.resources.find((r) => formatGroupResource(parseGroupResource(r)) === wanted);
      if (hit !== undefined) return { entry: i, via: hit };
    }
  }
  return undefined;
}

function describeProvider(p: EncryptionProvider): string {
  return p.type === 'kms' ? `kms ${p.apiVersion} "${p.name}"` : p.type;
}

const isText = (bytes: Buffer): boolean => bytes.every((b) => b >= 0x20 && b < 0x7f);

/**
 * Audits a parsed EncryptionConfiguration: where Secrets end up in plain text, weak or
 * deprecated providers, key material, and wildcard entries. Findings name keys by their
 * `name` only; the key material is never quoted.
 */
export function auditEncryptionConfig(loaded: LoadedEncryptionConfig): AuditFinding[] {
  const { config, file } = loaded;
  const resource: KubeResource = {
    apiVersion: config.apiVersion,
    kind: config.kind,
    name: path.basename(file),
  };
  const findings: AuditFinding[] = [];
  const add = (rule: RuleMeta, at: readonly PathSegment[], message: string, severity?: Severity): void => {
    findings.push({
      ruleId: rule.id,
      severity: severity ?? rule.severity,
      title: rule.title,
      message,
      hint: rule.hint,
      resource,
      objectPath: formatFieldPath(at),
      file,
      line: loaded.lineOf(at),
    });
  };
  const entries = config.resources;

  const secrets = secretsCoverage(entries);
  if (secrets === undefined) {
    add(
      SECRETS_NOT_COVERED,
      ['resources'],
      `no entry lists secrets (or '*.' / '*.*'), so Secrets are stored in etcd in plain text; covered: ${entries.flatMap((e) => e.resources).join(', ')}`,
    );
  }

  for (const [i, entry] of entries.entries()) {
    const providersAt: PathSegment[] = ['resources', i, 'providers'];
    const listed = entry.resources.join(', ');
    const writer = entry.providers[0];
    const holdsSecrets = secrets?.entry === i;
    if (writer?.type === 'identity') {
      if (holdsSecrets) {
        add(
          IDENTITY_FIRST_FOR_SECRETS,
          [...providersAt, 0],
          `identity is the first provider for ${listed}${secrets.via === 'secrets' ? '' : ` (Secrets through '${secrets.via}')`}: every new or updated Secret is stored in plain text; the providers after it only decrypt`,
        );
      } else {
        add(
          PLAIN_TEXT_RESOURCES,
          [...providersAt, 0],
          `${listed} are written in plain text (identity is the first provider)`,
        );
      }
    } else if (writer?.type === 'aescbc') {
      add(
        AESCBC_WRITES,
        [...providersAt, 0],
        `new writes of ${listed} are encrypted with aescbc (key "${writer.keys[0]?.name ?? ''}")`,
      );
    } else if (writer?.type === 'aesgcm') {
      add(
        AESGCM_WRITES,
        [...providersAt, 0],
        `new writes of ${listed} are encrypted with aesgcm (key "${writer.keys[0]?.name ?? ''}"); rotate the key before 200,000 writes`,
      );
    }
    if (writer !== undefined && writer.type !== 'identity' && writer.type !== 'kms') {
      add(
        LOCAL_KEY_PROVIDER,
        [...providersAt, 0],
        `${listed} are encrypted with ${writer.type} using a key kept in this file; KMS v2 is the recommended provider`,
      );
    }

    const wildcards = entry.resources.filter((r) => parseGroupResource(r).resource === '*');
    if (wildcards.length > 0) {
      const earlier = entries.slice(0, i).flatMap((e) => e.resources);
      add(
        WILDCARD_RESOURCES,
        ['resources', i, 'resources'],
        `${wildcards.map((w) => `'${w}'`).join(', ')} written with ${writer === undefined ? 'nothing' : describeProvider(writer)} covers every matching resource, including ones added later (Kubernetes 1.27+)${earlier.length > 0 ? `; listed earlier and so excluded: ${earlier.join(', ')}` : ''}`,
      );
    }

    const names = new Map<string, number>();
    for (const [j, provider] of entry.providers.entries()) {
      const at: PathSegment[] = [...providersAt, j, provider.type];
      if (provider.type === 'kms') {
        if (provider.apiVersion === 'v1') {
          add(
            KMS_V1,
            at,
            `kms provider "${provider.name}" uses the KMS v1 API${j === 0 ? ' for new writes' : ''}`,
          );
        }
        const nameKey = `kms\n${provider.name}`;
        if (names.has(nameKey)) {
          add(
            DUPLICATE_KEY_NAME,
            [...at, 'name'],
            `kms provider name "${provider.name}" is used by providers[${names.get(nameKey) ?? 0}] too`,
          );
        } else names.set(nameKey, j);
        continue;
      }
      if (provider.type === 'identity') continue;
      for (const [k, key] of provider.keys.entries()) {
        const keyAt: PathSegment[] = [...at, 'keys', k];
        const nameKey = `${provider.type}\n${key.name}`;
        if (names.has(nameKey)) {
          add(
            DUPLICATE_KEY_NAME,
            [...keyAt, 'name'],
            `${provider.type} key name "${key.name}" is used twice in this entry (first in providers[${names.get(nameKey) ?? 0}])`,
          );
        } else names.set(nameKey, j);
        const bytes = decodeStdBase64(key.secret) ?? Buffer.alloc(0);
        const writes = j === 0 && k === 0;
        if (provider.type === 'aescbc' && bytes.length !== 32) {
          add(
            AESCBC_KEY_LENGTH,
            [...keyAt, 'secret'],
            `aescbc key "${key.name}" is ${bytes.length} bytes, not 32${writes ? ' (it encrypts new writes)' : ''}`,
            writes ? 'high' : 'medium',
          );
        }
        if (DOCUMENTED_EXAMPLE_KEYS.has(key.secret)) {
          add(
            WEAK_KEY_MATERIAL,
            [...keyAt, 'secret'],
            `${provider.type} key "${key.name}" is an example key published in the Kubernetes documentation`,
            'medium',
          );
        } else if (isText(bytes)) {
          add(
            WEAK_KEY_MATERIAL,
            [...keyAt, 'secret'],
            `${provider.type} key "${key.name}" decodes to printable text, not random bytes`,
          );
        }
      }
    }
  }
  return findings;
}
