import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { errorMessage, truncateForMessage } from '../../core/index.js';
import { GateError } from './errors.js';
import type { IgnoreEntry } from './types.js';

/** The file name the CLI looks for in the working directory. */
export const IGNORE_FILE_NAME = '.portcullisignore.yaml';

/** Largest ignore file read (1 MiB): a hand-written list of exceptions is far smaller. */
export const MAX_IGNORE_FILE_BYTES = 1 << 20;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

const nonEmpty = z.string().trim().min(1).max(1024);

const entrySchema = z.strictObject({
  id: nonEmpty,
  package: nonEmpty.optional(),
  purl: nonEmpty.regex(/^pkg:[a-z0-9.+-]+\//i, 'expected a purl (pkg:type/name)').optional(),
  reason: nonEmpty,
  expires: z.string().refine(isCalendarDate, 'expected a date YYYY-MM-DD').optional(),
});

const fileSchema = z.strictObject({
  vulnerabilities: z.array(entrySchema).max(10_000),
});

/**
 * Parses `.portcullisignore.yaml`:
 *
 * ```yaml
 * vulnerabilities:
 *   - id: CVE-2023-12345        # or any alias (GHSA-…, DSA-…)
 *     package: openssl          # optional: only this package
 *     purl: pkg:deb/debian/libssl3   # optional: only packages matching this purl
 *     reason: not reachable, see TICKET-1
 *     expires: 2026-12-31       # optional: applies through this day (UTC)
 * ```
 *
 * An empty file ignores nothing.
 *
 * @throws GateError IGNORE_INVALID naming the file and line of the first problem.
 */
export function parseIgnoreFile(text: string, fileName: string = IGNORE_FILE_NAME): IgnoreEntry[] {
  if (Buffer.byteLength(text, 'utf8') > MAX_IGNORE_FILE_BYTES) {
    throw new GateError('IGNORE_INVALID', `${fileName}: larger than ${MAX_IGNORE_FILE_BYTES} bytes`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core' });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const line = yamlError.linePos?.[0].line;
    const msg = yamlError.message.split('\n')[0] ?? yamlError.message;
    throw new GateError(
      'IGNORE_INVALID',
      `${fileName}${line === undefined ? '' : `:${line}`}: not valid YAML: ${truncateForMessage(msg)}`,
      { cause: yamlError },
    );
  }
  let value: unknown;
  try {
    // A cap on alias expansion keeps a "billion laughs" file from exhausting memory.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new GateError('IGNORE_INVALID', `${fileName}: ${truncateForMessage(errorMessage(err))}`, {
      cause: err,
    });
  }
  // YAML null (an empty file or a bare key) is the only null here: it means no entries.
  if (value == undefined) return [];
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
    // The deepest node that exists on the issue's path gives the line.
    let line: number | undefined;
    for (let n = path.length; n >= 0 && line === undefined; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        line = lineCounter.linePos(node.range[0]).line;
      }
    }
    const where = path.length === 0 ? '' : ` at ${path.join('.')}`;
    throw new GateError(
      'IGNORE_INVALID',
      `${fileName}${line === undefined ? '' : `:${line}`}: invalid ignore entry${where}: ${truncateForMessage(
        issue?.message ?? 'invalid',
      )} (expected vulnerabilities: [{id, package?, purl?, reason, expires?: YYYY-MM-DD}])`,
      { cause: parsed.error },
    );
  }
  return parsed.data.vulnerabilities.map((e, i) => {
    const node = doc.getIn(['vulnerabilities', i], true);
    const line = isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    return {
      id: e.id,
      reason: e.reason,
      ...(e.package === undefined ? {} : { package: e.package }),
      ...(e.purl === undefined ? {} : { purl: e.purl }),
      ...(e.expires === undefined ? {} : { expires: e.expires }),
      ...(line === undefined ? {} : { line }),
    };
  });
}
