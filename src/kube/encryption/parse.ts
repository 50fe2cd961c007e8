import { readFile, stat } from 'node:fs/promises';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { errorMessage } from '../../core/index.js';
import type { PathSegment } from '../types.js';
import { EncryptionConfigError, type EncryptionConfigFieldError } from './errors.js';
import {
  encryptionConfigDocumentSchema,
  type KeysProviderDocument,
  type ProviderDocument,
} from './schema.js';
import type { EncryptionConfig, EncryptionProvider, LoadedEncryptionConfig } from './types.js';
import { validateEncryptionConfigDocument, type RawFieldError } from './validate.js';

/** An EncryptionConfiguration is a few kilobytes; anything this large is not one. */
export const MAX_ENCRYPTION_CONFIG_BYTES = 1 << 20;
const MAX_YAML_ALIASES = 50;

/**
 * The versions the API server decodes (k8s.io/apiserver pkg/apis/apiserver, v1 and the
 * pre-1.13 legacy `v1`/`EncryptionConfig` it still reads). There is no v1beta1 of this file.
 */
export const ENCRYPTION_CONFIG_VERSIONS: readonly { readonly apiVersion: string; readonly kind: string }[] = [
  { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration' },
  { apiVersion: 'v1', kind: 'EncryptionConfig' },
];

/** `resources[0].providers[1].kms.name`, as the API server's field paths read. */
export function formatFieldPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '<root>' : out;
}

function lineLookup(doc: Document, counter: LineCounter): (path: readonly PathSegment[]) => number {
  const lineAt = (offset: number): number => counter.linePos(offset).line;
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      const seg = path[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === seg);
        const start = pair !== undefined && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        if (start !== undefined) return lineAt(start);
      } else if (isSeq(parent) && typeof seg === 'number') {
        const start = isNode(parent.items[seg]) ? parent.items[seg].range?.[0] : undefined;
        if (start !== undefined) return lineAt(start);
      }
    }
    const root = doc.contents?.range?.[0];
    return root === undefined ? 1 : lineAt(root);
  };
}

function zodIssueErrors(issues: readonly z.core.$ZodIssue[], doc: unknown): RawOrUnknown[] {
  const out: RawOrUnknown[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = formatFieldPath([...path, key]);
        out.push({
          path: [...path, key],
          type: 'unknown field',
          detail: `strict decoding error: unknown field ${JSON.stringify(field)}`,
        });
      }
    } else if (issue.code === 'invalid_type') {
      const value = valueAt(doc, path);
      if (value === undefined) {
        out.push({ path, type: 'Required value', detail: `${String(path.at(-1) ?? 'value')} is required` });
      } else {
        out.push({
          path,
          type: 'Invalid value',
          detail: `expected ${describeExpected(issue.expected)}, got ${describeValue(value)}`,
        });
      }
    } else {
      out.push({ path, type: 'Invalid value', detail: issue.message });
    }
  }
  return out;
}

type RawOrUnknown = Omit<RawFieldError, 'type'> & { readonly type: EncryptionConfigFieldError['type'] };

function describeExpected(expected: string): string {
  return expected === 'array' ? 'a list' : expected === 'object' ? 'a mapping' : `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && Boolean(value)) return 'a mapping';
  return `a ${typeof value}`;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (typeof v !== 'object' || !v) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function invalid(file: string, errors: readonly EncryptionConfigFieldError[]): EncryptionConfigError {
  const lines = errors.map((e) => `  ${file}:${e.line}: ${formatFieldError(e)}`);
  const noun = errors.length === 1 ? 'error' : 'errors';
  return new EncryptionConfigError(
    'ENCRYPTION_CONFIG_INVALID',
    `${file} is not a valid EncryptionConfiguration (${errors.length} ${noun}):\n${lines.join('\n')}`,
    { errors },
  );
}

/** One error as the API server prints a field error: `path: Type: detail`. */
export function formatFieldError(e: EncryptionConfigFieldError): string {
  if (e.type === 'unknown field' || e.type === 'decoding error') return e.detail;
  return `${e.field}: ${e.type}: ${e.detail}`;
}

function toProvider(p: ProviderDocument): EncryptionProvider {
  const keys = (k: KeysProviderDocument) =>
    (k.keys ?? []).map((key) => ({ name: key.name ?? '', secret: key.secret ?? '' }));
  if (p.aescbc) return { type: 'aescbc', keys: keys(p.aescbc) };
  if (p.aesgcm) return { type: 'aesgcm', keys: keys(p.aesgcm) };
  if (p.secretbox) return { type: 'secretbox', keys: keys(p.secretbox) };
  if (p.kms) {
    const apiVersion = p.kms.apiVersion === 'v2' ? 'v2' : 'v1';
    return {
      type: 'kms',
      apiVersion,
      name: p.kms.name ?? '',
      endpoint: p.kms.endpoint ?? '',
      ...(typeof p.kms.cachesize === 'number' ? { cachesize: p.kms.cachesize } : {}),
      ...(typeof p.kms.timeout === 'string' ? { timeout: p.kms.timeout } : {}),
    };
  }
  return { type: 'identity' };
}

/**
 * Parses an EncryptionConfiguration (YAML or JSON) the way kube-apiserver's
 * `--encryption-provider-config` loader does: strict decoding, then its validation and the
 * wildcard masking check. `file` only names the input in messages.
 *
 * @throws EncryptionConfigError ENCRYPTION_CONFIG_INVALID listing every problem with its field
 *   path and line (key material is never quoted); ENCRYPTION_CONFIG_TOO_LARGE over 1 MiB.
 */
export function parseEncryptionConfig(text: string, file = '-'): LoadedEncryptionConfig {
  if (Buffer.byteLength(text) > MAX_ENCRYPTION_CONFIG_BYTES) {
    throw new EncryptionConfigError(
      'ENCRYPTION_CONFIG_TOO_LARGE',
      `${file} is larger than ${MAX_ENCRYPTION_CONFIG_BYTES} bytes; an EncryptionConfiguration is a few kilobytes`,
    );
  }
  if (text.trim() === '') {
    throw invalid(file, [
      {
        field: '<root>',
        type: 'decoding error',
        detail: `encryption provider config file ${JSON.stringify(file)} is empty`,
        line: 1,
      },
    ]);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw invalid(
      file,
      doc.errors.map((e) => ({
        field: '<root>',
        type: 'decoding error' as const,
        detail: `not valid YAML or JSON: ${e.message.split('\n')[0] ?? e.code}`,
        line: counter.linePos(e.pos[0]).line,
      })),
    );
  }
  const lineOf = lineLookup(doc, counter);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw invalid(file, [
      { field: '<root>', type: 'decoding error', detail: `cannot decode: ${errorMessage(err)}`, line: 1 },
    ]);
  }
  const withLines = (errors: readonly RawOrUnknown[]): EncryptionConfigFieldError[] =>
    errors.map((e) => ({
      field: formatFieldPath(e.path),
      type: e.type,
      detail: e.detail,
      line: lineOf(e.path),
    }));

  if (typeof value !== 'object' || !value || Array.isArray(value)) {
    throw invalid(file, [
      {
        field: '<root>',
        type: 'decoding error',
        detail: `expected a mapping (an EncryptionConfiguration object), got ${describeValue(value)}`,
        line: 1,
      },
    ]);
  }
  const record = value as Record<string, unknown>;
  const kind = record['kind'];
  const apiVersion = record['apiVersion'];
  if (typeof kind !== 'string' || kind === '' || typeof apiVersion !== 'string' || apiVersion === '') {
    const missing = typeof kind !== 'string' || kind === '' ? 'Kind' : 'apiVersion';
    throw invalid(file, [
      {
        field: missing === 'Kind' ? 'kind' : 'apiVersion',
        type: 'decoding error',
        detail: `Object '${missing}' is missing (expected apiVersion: apiserver.config.k8s.io/v1 and kind: EncryptionConfiguration)`,
        line: 1,
      },
    ]);
  }
  if (!ENCRYPTION_CONFIG_VERSIONS.some((v) => v.apiVersion === apiVersion && v.kind === kind)) {
    throw invalid(file, [
      {
        field: 'kind',
        type: 'decoding error',
        detail: `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} (expected apiVersion: apiserver.config.k8s.io/v1 and kind: EncryptionConfiguration)`,
        line: lineOf(['kind']),
      },
    ]);
  }
  const parsed = encryptionConfigDocumentSchema.safeParse(value);
  if (!parsed.success) throw invalid(file, withLines(zodIssueErrors(parsed.error.issues, value)));
  const errors = validateEncryptionConfigDocument(parsed.data);
  if (errors.length > 0) throw invalid(file, withLines(errors));
  const config: EncryptionConfig = {
    apiVersion,
    kind,
    resources: (parsed.data.resources ?? []).map((entry) => ({
      resources: entry.resources ?? [],
      providers: (entry.providers ?? []).map(toProvider),
    })),
  };
  return { file, config, lineOf };
}

/** parseEncryptionConfig, or undefined for anything it would throw on. */
export function tryParseEncryptionConfig(text: string, file = '-'): LoadedEncryptionConfig | undefined {
  try {
    return parseEncryptionConfig(text, file);
  } catch {
    return undefined;
  }
}

/**
 * Reads and parses an EncryptionConfiguration file; messages and findings name it `name`
 * (default: the path), e.g. the path as the user typed it rather than resolved.
 * @throws EncryptionConfigError ENCRYPTION_CONFIG_UNREADABLE, or as parseEncryptionConfig.
 */
export async function loadEncryptionConfigFile(file: string, name = file): Promise<LoadedEncryptionConfig> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_ENCRYPTION_CONFIG_BYTES) {
      throw new EncryptionConfigError(
        'ENCRYPTION_CONFIG_TOO_LARGE',
        `${name} is larger than ${MAX_ENCRYPTION_CONFIG_BYTES} bytes; an EncryptionConfiguration is a few kilobytes`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof EncryptionConfigError) throw err;
    throw new EncryptionConfigError(
      'ENCRYPTION_CONFIG_UNREADABLE',
      `cannot read ${name}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return parseEncryptionConfig(text, name);
}
