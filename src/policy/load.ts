import { open } from 'node:fs/promises';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { errorMessage, truncateForMessage } from '../core/index.js';
import { PolicyError } from './errors.js';
import { policySchema, type Policy } from './schema.js';

/** The file name the CLI looks for in the working directory. */
export const POLICY_FILE_NAME = 'portcullis.yaml';

/** Largest policy file read (1 MiB): hand-written policies are a few KiB. */
export const MAX_POLICY_BYTES = 1 << 20;

// Aliases are legitimate YAML, but expanding them without a cap lets a few hundred bytes
// ("billion laughs") become gigabytes.
const MAX_ALIAS_COUNT = 100;

// Enough problems to fix several at once without flooding a terminal.
const MAX_REPORTED_PROBLEMS = 10;

type Position = { readonly line: number; readonly col: number };
type KeyPath = readonly (string | number)[];

/** What is kept of the source after parsing, so callers can point at lines later. */
type Source = { readonly fileName: string; readonly doc: Document; readonly lineCounter: LineCounter };

// Policies are frozen plain data; positions live beside them instead of in them.
const sources = new WeakMap<Policy, Source>();

/** `lint.rules.PC-DF-004`, `rules[2].name`. */
function formatPath(path: KeyPath): string {
  let out = '';
  for (const p of path) {
    out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * The position of `path` in the document: the key when `atKey` (an unknown or invalid key),
 * else the value; for a path that does not exist, the deepest node on it that does.
 */
function locate(source: Source, path: KeyPath, atKey: boolean): Position | undefined {
  const { doc, lineCounter } = source;
  for (let n = path.length; n >= 0; n--) {
    const parentPath = path.slice(0, Math.max(0, n - 1));
    const last = path[n - 1];
    if (n > 0 && atKey && n === path.length && typeof last === 'string') {
      const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === last);
        if (pair !== undefined && isNode(pair.key) && pair.key.range) {
          return lineCounter.linePos(pair.key.range[0]);
        }
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
  }
  return undefined;
}

function where(source: Source, path: KeyPath, atKey: boolean): string {
  const pos = locate(source, path, atKey);
  return pos === undefined ? source.fileName : `${source.fileName}:${pos.line}:${pos.col}`;
}

function issueLines(source: Source, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, each at the key itself: the usual cause is a typo.
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        lines.push(
          `${where(source, keyPath, true)}: ${formatPath(keyPath)}: unknown key "${truncateForMessage(key, 80)}"`,
        );
      }
      continue;
    }
    const atKey = issue.code === 'invalid_key';
    // A record key's own message (the rule-id pattern) is nested; the outer one is generic.
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    const label = path.length === 0 ? '(top level)' : formatPath(path);
    lines.push(`${where(source, path, atKey)}: ${label}: ${truncateForMessage(message, 300)}`);
  }
  return lines;
}

function invalid(lines: readonly string[], cause?: unknown): PolicyError {
  const shown = lines.slice(0, MAX_REPORTED_PROBLEMS);
  const more = lines.length - shown.length;
  const message = shown.join('\n') + (more > 0 ? `\n(and ${more} more problems)` : '');
  return new PolicyError('POLICY_INVALID', message, cause === undefined ? undefined : { cause });
}

/**
 * Parses and validates the text of a policy file. Every problem is reported as
 * `file:line:col: key.path: what is wrong`.
 *
 * @throws PolicyError POLICY_TOO_LARGE over {@link MAX_POLICY_BYTES}; POLICY_INVALID for YAML
 *   errors (including duplicate keys, several documents and alias bombs) and schema violations.
 */
export function parsePolicy(text: string, fileName: string = POLICY_FILE_NAME): Policy {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw new PolicyError(
      'POLICY_TOO_LARGE',
      `${fileName}: ${bytes} bytes, larger than the ${MAX_POLICY_BYTES}-byte limit for a policy file`,
    );
  }
  const lineCounter = new LineCounter();
  // The core schema is YAML 1.2's: `off`, `no` and dates stay strings, as the schema expects.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: true });
  const source: Source = { fileName, doc, lineCounter };
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const first = e.message.split('\n')[0] ?? e.message;
      // yaml appends " at line L, column C" to pretty messages; the prefix already says it.
      const msg = first.replace(/ at line \d+, column \d+:?$/, '');
      return `${pos === undefined ? fileName : `${fileName}:${pos.line}:${pos.col}`}: not valid YAML: ${truncateForMessage(msg, 300)}`;
    });
    throw invalid(lines, doc.errors[0]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw invalid([`${fileName}: not valid YAML: ${truncateForMessage(errorMessage(err), 300)}`], err);
  }
  // YAML null: an empty file or one holding only comments.
  if (value == undefined) {
    throw invalid([`${fileName}: the file is empty: expected at least apiVersion and kind`]);
  }
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) throw invalid(issueLines(source, parsed.error.issues), parsed.error);
  sources.set(parsed.data, source);
  return parsed.data;
}

/**
 * Reads and parses a policy file; see {@link parsePolicy}. The file name in messages is `path`
 * as given.
 *
 * @throws PolicyError POLICY_NOT_FOUND, POLICY_UNREADABLE (a directory, no permission, not
 *   UTF-8 is POLICY_INVALID), POLICY_TOO_LARGE, POLICY_INVALID.
 */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new PolicyError('POLICY_NOT_FOUND', `${path}: policy file not found`, { cause: err });
    }
    throw new PolicyError('POLICY_UNREADABLE', `${path}: cannot read policy file: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  let data: Buffer;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PolicyError('POLICY_UNREADABLE', `${path}: not a regular file`);
    if (stat.size > MAX_POLICY_BYTES) {
      throw new PolicyError(
        'POLICY_TOO_LARGE',
        `${path}: ${stat.size} bytes, larger than the ${MAX_POLICY_BYTES}-byte limit for a policy file`,
      );
    }
    // Read one byte past the cap so a file that grew after stat is still refused.
    const buf = Buffer.alloc(MAX_POLICY_BYTES + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buf.length) break;
    }
    if (filled > MAX_POLICY_BYTES) {
      throw new PolicyError('POLICY_TOO_LARGE', `${path}: larger than the ${MAX_POLICY_BYTES}-byte limit`);
    }
    data = buf.subarray(0, filled);
  } catch (err) {
    if (err instanceof PolicyError) throw err;
    throw new PolicyError('POLICY_UNREADABLE', `${path}: cannot read policy file: ${errorMessage(err)}`, {
      cause: err,
    });
  } finally {
    await handle.close();
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch (err) {
    throw new PolicyError('POLICY_INVALID', `${path}: not UTF-8 text`, { cause: err });
  }
  return parsePolicy(text, path);
}

/**
 * `file:line:col` of a key path in the file `policy` was parsed from (the key itself when
 * `atKey`), or the file name when the path is not in the file; undefined for a policy that was
 * not made by {@link parsePolicy}.
 */
export function policyLocation(policy: Policy, path: KeyPath, atKey = false): string | undefined {
  const source = sources.get(policy);
  return source === undefined ? undefined : where(source, path, atKey);
}

export { formatPath as formatPolicyPath };
