import type { PathSegment } from '../types.js';
import type { EncryptionConfigDocument, KeysProviderDocument, KmsDocument } from './schema.js';

// The checks of k8s.io/apiserver's pkg/apis/apiserver/validation ValidateEncryptionConfiguration
// and of the resource masking check in pkg/server/options/encryptionconfig (getTransformerOverrides),
// with the API server's messages, so a file rejected here is one the API server refuses too.

/** A validation problem before line numbers are attached. */
export type RawFieldError = {
  readonly path: readonly PathSegment[];
  readonly type: 'Required value' | 'Invalid value' | 'Unsupported value';
  readonly detail: string;
};

// The AES key sizes crypto/aes accepts, and secretbox's one size. The API server accepts 16
// and 24 bytes for aescbc too; the audit (PC-K8S-086) holds aescbc to the documented 32.
const AES_KEY_SIZES = [16, 24, 32] as const;
const SECRETBOX_KEY_SIZES = [32] as const;

const STAR_RESOURCE_ERR =
  "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources";
const OVERLAP_ERR =
  "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked";
const DUPLICATE_RESOURCE_ERR = 'the same resource cannot be specified multiple times';
const NON_REST_ERR = 'resources which do not have REST API/s cannot be encrypted';
const CAPITAL_ERR = 'resource name should not contain capital letters';
const EVENTS_GROUP_ERR =
  "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file";
const EXTENSIONS_GROUP_ERR = "'extensions' group has been removed and cannot be used for encryption";
const ACROSS_GROUPS_ERR = 'encrypting the same resource across groups is not supported';

/** A resource as the API server splits it: `secrets` → core group, `*.apps`, `*.*`. */
export type GroupResource = { readonly resource: string; readonly group: string };

/** schema.ParseGroupResource: the part before the first dot is the resource. */
export function parseGroupResource(text: string): GroupResource {
  const dot = text.indexOf('.');
  return dot < 0
    ? { resource: text, group: '' }
    : { resource: text.slice(0, dot), group: text.slice(dot + 1) };
}

/** How the API server prints a group resource in its masking error (`*.` for the core wildcard). */
export function formatGroupResource(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

const GO_DURATION_RE = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A Go `time.ParseDuration` string in nanoseconds, or undefined when Go would refuse it. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!GO_DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(m[1]) * (UNIT_NS[m[2] ?? ''] ?? 0);
  }
  return text.startsWith('-') ? -total : total;
}

/** Decodes standard base64 strictly (Go's base64.StdEncoding): padding required, no stray characters. */
export function decodeStdBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

function validateKeys(
  provider: KeysProviderDocument,
  path: readonly PathSegment[],
  sizes: readonly number[],
): RawFieldError[] {
  const keysPath = [...path, 'keys'];
  const keys = provider.keys ?? [];
  if (keys.length === 0)
    return [{ path: keysPath, type: 'Required value', detail: 'at least one keys is required' }];
  const errors: RawFieldError[] = [];
  keys.forEach((key, i) => {
    const keyPath = [...keysPath, i];
    if ((key.name ?? '') === '') {
      errors.push({
        path: [...keyPath, 'name'],
        type: 'Required value',
        detail: 'name is a mandatory field for a key',
      });
    }
    const secret = key.secret ?? '';
    if (secret === '') {
      errors.push({
        path: [...keyPath, 'secret'],
        type: 'Required value',
        detail: 'secret is a mandatory field for a key',
      });
      return;
    }
    const bytes = decodeStdBase64(secret);
    if (bytes === undefined) {
      errors.push({
        path: [...keyPath, 'secret'],
        type: 'Invalid value',
        detail: '"REDACTED": secrets must be base64 encoded',
      });
      return;
    }
    if (!sizes.includes(bytes.length)) {
      errors.push({
        path: [...keyPath, 'secret'],
        type: 'Invalid value',
        detail: `"REDACTED": secret is not of the expected length, got ${bytes.length}, expected one of [${sizes.join(' ')}]`,
      });
    }
  });
  return errors;
}

function validateKms(kms: KmsDocument, path: readonly PathSegment[], names: Set<string>): RawFieldError[] {
  const errors: RawFieldError[] = [];
  const apiVersion = kms.apiVersion ?? 'v1';
  const name = kms.name ?? '';
  if (name === '') {
    errors.push({
      path: [...path, 'name'],
      type: 'Required value',
      detail: 'name is a mandatory field for a provider',
    });
  }
  if (apiVersion !== 'v1' && name.includes(':')) {
    errors.push({
      path: [...path, 'name'],
      type: 'Invalid value',
      detail: `${JSON.stringify(name)}: invalid KMS provider name ${name}, must not contain ':'`,
    });
  }
  // KMS v2 names key the data encryption keys in etcd, so they must be unique among all KMS
  // providers (v1 names only when the configuration is hot-reloaded, which a file audit cannot know).
  if (apiVersion !== 'v1' && names.has(name)) {
    errors.push({
      path: [...path, 'name'],
      type: 'Invalid value',
      detail: `${JSON.stringify(name)}: duplicate KMS provider name ${name}, names must be unique`,
    });
  }
  names.add(name);
  const timeout = kms.timeout ?? '3s';
  const ns = parseGoDuration(timeout);
  if (ns === undefined) {
    errors.push({
      path: [...path, 'timeout'],
      type: 'Invalid value',
      detail: `${JSON.stringify(timeout)}: not a duration (expected a Go duration such as 3s or 1m30s)`,
    });
  } else if (ns <= 0) {
    errors.push({
      path: [...path, 'timeout'],
      type: 'Invalid value',
      detail: `${JSON.stringify(timeout)}: timeout should be a positive value`,
    });
  }
  const endpoint = kms.endpoint ?? '';
  if (endpoint === '') {
    errors.push({
      path: [...path, 'endpoint'],
      type: 'Invalid value',
      detail: '"": endpoint is a mandatory field for a kms',
    });
  } else {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(endpoint)?.[1] ?? '';
    if (scheme !== 'unix') {
      errors.push({
        path: [...path, 'endpoint'],
        type: 'Invalid value',
        detail: `${JSON.stringify(endpoint)}: unsupported scheme ${JSON.stringify(scheme)} for KMS provider, only unix is supported`,
      });
    }
  }
  if (apiVersion !== 'v1' && typeof kms.cachesize === 'number') {
    errors.push({
      path: [...path, 'cachesize'],
      type: 'Invalid value',
      detail: `${kms.cachesize}: cachesize is not supported in v2`,
    });
  }
  if (apiVersion === 'v1' && kms.cachesize === 0) {
    errors.push({
      path: [...path, 'cachesize'],
      type: 'Invalid value',
      detail: '0: cachesize should be a positive value, or negative to disable',
    });
  }
  if (apiVersion !== 'v1' && apiVersion !== 'v2') {
    errors.push({
      path: [...path, 'apiVersion'],
      type: 'Invalid value',
      detail: `${JSON.stringify(apiVersion)}: unsupported apiVersion ${apiVersion} for KMS provider, only v1 and v2 are supported`,
    });
  }
  return errors;
}

function validateResourceNames(resources: readonly string[], path: readonly PathSegment[]): RawFieldError[] {
  const errors: RawFieldError[] = [];
  resources.forEach((res, j) => {
    const at = [...path, j];
    const invalid = (detail: string): void => {
      errors.push({ path: at, type: 'Invalid value', detail: `${JSON.stringify(res)}: ${detail}` });
    };
    const gr = parseGroupResource(res);
    if (/[A-Z]/.test(res)) invalid(CAPITAL_ERR);
    else if (res === '*') invalid(STAR_RESOURCE_ERR);
    else if (['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations'].includes(res))
      invalid(NON_REST_ERR);
    else if (gr.group === 'events.k8s.io') invalid(EVENTS_GROUP_ERR);
    else if (gr.group === 'extensions') invalid(EXTENSIONS_GROUP_ERR);
    else if (gr.group === '*' && gr.resource !== '*') invalid(ACROSS_GROUPS_ERR);
  });
  return errors;
}

function validateResourceOverlap(
  resources: readonly string[],
  path: readonly PathSegment[],
): RawFieldError[] {
  if (resources.length < 2) return [];
  const grs = resources.map(parseGroupResource);
  let duplicate = false;
  let overlap = false;
  for (const [i, a] of grs.entries()) {
    for (const [j, b] of grs.entries()) {
      if (i === j) continue;
      if (a.group === b.group && a.resource === b.resource) duplicate = true;
      else if (
        (a.group === '*' && a.resource === '*') ||
        (a.group === b.group && (a.resource === '*' || b.resource === '*'))
      )
        overlap = true;
    }
  }
  const shown = JSON.stringify(resources);
  return [
    ...(duplicate
      ? [{ path, type: 'Invalid value' as const, detail: `${shown}: ${DUPLICATE_RESOURCE_ERR}` }]
      : []),
    ...(overlap ? [{ path, type: 'Invalid value' as const, detail: `${shown}: ${OVERLAP_ERR}` }] : []),
  ];
}

// A specific resource listed after a wildcard that already covers it would never be used: the
// API server refuses to start rather than silently ignore it (encryptionconfig/config.go).
function validateMasking(doc: EncryptionConfigDocument): RawFieldError[] {
  const errors: RawFieldError[] = [];
  const seen = new Set<string>();
  (doc.resources ?? []).forEach((entry, i) => {
    const list = entry.resources ?? [];
    list.forEach((res, j) => {
      const gr = parseGroupResource(res);
      const groupWildcard = formatGroupResource({ resource: '*', group: gr.group });
      const masker = seen.has(groupWildcard) ? groupWildcard : seen.has('*.*') ? '*.*' : undefined;
      if (masker !== undefined) {
        errors.push({
          path: ['resources', i, 'resources', j],
          type: 'Invalid value',
          detail: `resource ${JSON.stringify(formatGroupResource(gr))} is masked by earlier rule ${JSON.stringify(masker)}`,
        });
      }
    });
    for (const res of list) seen.add(formatGroupResource(parseGroupResource(res)));
  });
  return errors;
}

/** Every reason the API server would refuse this (already strictly decoded) configuration. */
export function validateEncryptionConfigDocument(doc: EncryptionConfigDocument): RawFieldError[] {
  const entries = doc.resources ?? [];
  if (entries.length === 0) {
    return [{ path: ['resources'], type: 'Required value', detail: 'at least one resources is required' }];
  }
  const errors: RawFieldError[] = [];
  const kmsNames = new Set<string>();
  entries.forEach((entry, i) => {
    const rPath: PathSegment[] = ['resources', i, 'resources'];
    const pPath: PathSegment[] = ['resources', i, 'providers'];
    const resources = entry.resources ?? [];
    if (resources.length === 0) {
      errors.push({
        path: rPath,
        type: 'Required value',
        detail: `at least one resources[${i}].resources is required`,
      });
    }
    errors.push(...validateResourceOverlap(resources, rPath), ...validateResourceNames(resources, rPath));
    const providers = entry.providers ?? [];
    if (providers.length === 0) {
      errors.push({
        path: pPath,
        type: 'Required value',
        detail: `at least one resources[${i}].providers is required`,
      });
    }
    providers.forEach((provider, j) => {
      const path = [...pPath, j];
      const present = (['kms', 'aesgcm', 'aescbc', 'secretbox', 'identity'] as const).filter(
        (name) => typeof provider[name] === 'object' && Boolean(provider[name]),
      );
      if (present.length === 0) {
        errors.push({
          path,
          type: 'Invalid value',
          detail:
            'provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity',
        });
        return;
      }
      if (present.length > 1) {
        errors.push({
          path,
          type: 'Invalid value',
          detail: `more than one provider specified in a single element (${present.join(', ')}), should split into different list elements`,
        });
        return;
      }
      if (provider.kms) errors.push(...validateKms(provider.kms, [...path, 'kms'], kmsNames));
      else if (provider.aesgcm)
        errors.push(...validateKeys(provider.aesgcm, [...path, 'aesgcm'], AES_KEY_SIZES));
      else if (provider.aescbc)
        errors.push(...validateKeys(provider.aescbc, [...path, 'aescbc'], AES_KEY_SIZES));
      else if (provider.secretbox)
        errors.push(...validateKeys(provider.secretbox, [...path, 'secretbox'], SECRETBOX_KEY_SIZES));
    });
  });
  errors.push(...validateMasking(doc));
  return errors;
}
