import type { Suppression } from '../gate/index.js';
import type { Finding, Severity } from '../types.js';
import { compareFindings, countBySeverity, SEVERITIES } from './order.js';
import type { ReportInput } from './types.js';

/** How the table is drawn. */
export type TableOptions = {
  /** ANSI colours for severities; pass `shouldUseColor(...)` for a terminal. */
  readonly color: boolean;
  /** List suppressed findings (with their reason) after the counted ones. */
  readonly showSuppressed?: boolean;
  /** Longest title shown, in characters (default 60). */
  readonly maxTitle?: number;
};

const RESET = '\u001b[0m';
const COLOR: Readonly<Record<Severity, string>> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[34m',
  negligible: '\u001b[2m',
  unknown: '\u001b[2m',
};

/**
 * Whether to colour output for a stream: never when `NO_COLOR` is set (no-color.org), always when
 * `FORCE_COLOR` is set to anything but `0`, otherwise only on a TTY whose TERM is not `dumb`.
 */
export function shouldUseColor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

// Titles, names and versions come from images and advisory feeds: control characters (ANSI
// escapes above all) are replaced so that they cannot restyle or rewrite the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function clean(text: string): string {
  return text.replace(CONTROL, ' ');
}

function clip(text: string, max: number): string {
  const t = clean(text);
  return t.length <= max ? t : `${t.slice(0, Math.max(0, max - 1))}…`;
}

type Row = { finding: Finding; cells: string[]; suppression: Suppression | undefined };

function suppressionText(s: Suppression): string {
  switch (s.by) {
    case 'ignore':
      return `ignored: ${s.reason}${s.expires === undefined ? '' : ` (until ${s.expires})`}`;
    case 'vex':
      return `VEX ${s.status}${s.justification === undefined ? '' : `: ${s.justification}`}`;
  }
}

function packageHeading(f: Finding): string {
  const p = f.package;
  const name = p.namespace === undefined || p.namespace === '' ? p.name : `${p.namespace}/${p.name}`;
  return clean(`${name} ${p.version} (${p.type}) ${p.location.path}`);
}

function render(rows: readonly Row[], color: boolean): string[] {
  const widths: number[] = [];
  for (const r of rows) r.cells.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const out: string[] = [];
  let heading = '';
  for (const r of rows) {
    const h = packageHeading(r.finding);
    if (h !== heading) {
      if (heading !== '') out.push('');
      out.push(h);
      heading = h;
    }
    const cells = r.cells.map((c, i) => (i === r.cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)));
    if (color) cells[1] = `${COLOR[r.finding.severity]}${cells[1] ?? ''}${RESET}`;
    out.push(`  ${cells.join('  ')}`.trimEnd());
  }
  return out;
}

/**
 * A plain-text table for terminals: findings grouped under their package, each with id, severity
 * (coloured when `color`), status, fixed version and title, and a totals line. Pure: the caller
 * decides colour (see `shouldUseColor`).
 */
export function toTable(input: ReportInput, options: TableOptions): string {
  const maxTitle = options.maxTitle ?? 60;
  const toRow = (f: Finding, s: Suppression | undefined): Row => ({
    finding: f,
    suppression: s,
    cells: [
      clean(f.id),
      f.severity.toUpperCase(),
      f.status,
      f.fixedVersion === undefined ? '-' : clean(f.fixedVersion),
      s === undefined ? clip(f.title ?? '', maxTitle) : clip(suppressionText(s), maxTitle),
    ],
  });
  const kept = [...input.results.findings].sort(compareFindings).map((f) => toRow(f, undefined));
  const suppressed = [...(input.suppressed ?? [])]
    .sort((a, b) => compareFindings(a.finding, b.finding))
    .map((s) => toRow(s.finding, s.suppression));
  const os =
    input.os === undefined
      ? ''
      : ` (${clean(input.os.family)}${input.os.version === undefined ? '' : ` ${clean(input.os.version)}`})`;
  const lines = [`${clean(input.target.name)}${os}`, ''];
  if (kept.length === 0) lines.push('No vulnerabilities found.');
  else lines.push(...render(kept, options.color));
  if (options.showSuppressed === true && suppressed.length > 0) {
    lines.push('', 'Suppressed:', '', ...render(suppressed, options.color));
  }
  const counts = countBySeverity(input.results.findings);
  const parts = SEVERITIES.filter(
    (s) => counts[s] > 0 || s === 'critical' || s === 'high' || s === 'medium' || s === 'low',
  ).map((s) => {
    const label = `${s.toUpperCase()}: ${counts[s]}`;
    return options.color && counts[s] > 0 ? `${COLOR[s]}${label}${RESET}` : label;
  });
  lines.push(
    '',
    `Total: ${input.results.findings.length} (${parts.join(', ')})${
      suppressed.length > 0 ? `, suppressed: ${suppressed.length}` : ''
    }`,
  );
  return `${lines.join('\n')}\n`;
}
