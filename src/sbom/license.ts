import { createHash } from 'node:crypto';
import { SPDX } from '@cyclonedx/cyclonedx-library';
import parseSpdxExpression from 'spdx-expression-parse';

// License strings as packages declare them are a mix: SPDX ids (`MIT`), SPDX expressions
// (`MIT OR Apache-2.0`), ids in the wrong case (`mit`), and free text (`GPLv2+`, `BSD-like`).
// The writers need to know which is which: CycloneDX puts list ids in `license.id`, valid
// expressions in `expression` and the rest in `license.name`; SPDX 2.3 (clause 7.15, Annex D)
// takes expressions and turns free text into `LicenseRef-` ids.

type Tree = parseSpdxExpression.Info;

/** How a declared license string can be written in an SBOM. */
export type LicenseForm =
  /** One license on the SPDX list, no `+` or exception: CycloneDX `license.id`. */
  | { readonly kind: 'id'; readonly id: string }
  /** A valid SPDX license expression, in canonical form (ids in list case, operators upper-case). */
  | { readonly kind: 'expression'; readonly expression: string }
  /** Anything else, kept as written. */
  | { readonly kind: 'name'; readonly name: string };

/** Longer license strings are never parsed as expressions (they are license texts, not ids). */
const MAX_EXPRESSION_LENGTH = 1024;

const OPERATORS: ReadonlySet<string> = new Set(['AND', 'OR', 'WITH']);

/**
 * Puts ids and operators in canonical case. SPDX 2.3 Annex D.2 matches license and exception
 * ids case-insensitively; the list's own spelling is what schemas (CycloneDX's id enum) accept.
 * Lower-case `and`/`or` are taken as operators too: package metadata writes them that way.
 */
function canonicalTokens(text: string): string | undefined {
  const tokens = text.split(/(\(|\)|\s+)/).filter((t) => t !== '' && !/^\s+$/.test(t));
  if (tokens.length === 0) return undefined;
  const out = tokens.map((t) => {
    if (t === '(' || t === ')') return t;
    const upper = t.toUpperCase();
    if (OPERATORS.has(upper)) return upper;
    if (/^(?:LicenseRef-|DocumentRef-)/i.test(t)) return t;
    const plus = t.endsWith('+');
    const base = plus ? t.slice(0, -1) : t;
    return `${SPDX.fixupSpdxId(base) ?? base}${plus ? '+' : ''}`;
  });
  return out.join(' ');
}

function parseTree(text: string): Tree | undefined {
  if (text.length > MAX_EXPRESSION_LENGTH) return undefined;
  const canonical = canonicalTokens(text);
  if (canonical === undefined) return undefined;
  try {
    return parseSpdxExpression(canonical);
  } catch {
    return undefined;
  }
}

function isConjunction(t: Tree): t is parseSpdxExpression.ConjunctionInfo {
  return 'conjunction' in t;
}

/** Writes a parsed expression back, with parentheses only where AND's higher precedence needs them. */
function formatTree(t: Tree): string {
  if (!isConjunction(t)) {
    return `${t.license}${t.plus === true ? '+' : ''}${t.exception === undefined ? '' : ` WITH ${t.exception}`}`;
  }
  const op = t.conjunction === 'and' ? 'AND' : 'OR';
  const side = (s: Tree): string =>
    op === 'AND' && isConjunction(s) && s.conjunction === 'or' ? `(${formatTree(s)})` : formatTree(s);
  return `${side(t.left)} ${op} ${side(t.right)}`;
}

/** True for the "no information" values SPDX uses in license fields. */
export function isNoAssertion(text: string): boolean {
  const t = text.trim().toUpperCase();
  return t === '' || t === 'NOASSERTION' || t === 'NONE';
}

/** Classifies a declared license string; undefined for empty, NOASSERTION and NONE. */
export function classifyLicense(text: string): LicenseForm | undefined {
  if (isNoAssertion(text)) return undefined;
  const tree = parseTree(text.trim());
  if (tree === undefined) return { kind: 'name', name: text.trim() };
  if (
    !isConjunction(tree) &&
    tree.plus !== true &&
    tree.exception === undefined &&
    SPDX.isSupportedSpdxId(tree.license)
  ) {
    return { kind: 'id', id: tree.license };
  }
  return { kind: 'expression', expression: formatTree(tree) };
}

/** The canonical form of a valid SPDX expression, or undefined when `text` is not one. */
export function canonicalExpression(text: string): string | undefined {
  const tree = parseTree(text.trim());
  return tree === undefined ? undefined : formatTree(tree);
}

/**
 * Splits an expression at its top-level ANDs (`(A OR B) AND C` → `A OR B`, `C`): every part
 * applies, which is what a list of declared licenses means. A string that is not a valid
 * expression comes back whole.
 */
export function splitConjunction(text: string): string[] {
  const tree = parseTree(text.trim());
  if (tree === undefined) return [text.trim()];
  const parts: string[] = [];
  const walk = (t: Tree): void => {
    if (isConjunction(t) && t.conjunction === 'and') {
      walk(t.left);
      walk(t.right);
    } else {
      parts.push(formatTree(t));
    }
  };
  walk(tree);
  return parts;
}

/**
 * A `LicenseRef-` id for free-text license (SPDX 2.3 clause 10.1: letters, digits, `.` and `-`).
 * When characters had to be replaced, a short hash of the original keeps distinct texts distinct.
 */
export function licenseRefId(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  if (cleaned === name && cleaned !== '') return `LicenseRef-${cleaned}`;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return `LicenseRef-${cleaned === '' ? 'license' : cleaned}-${hash}`;
}
