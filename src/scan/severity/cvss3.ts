// CVSS v3.0 and v3.1 base scores from the vector string, per FIRST's specification
// (https://www.first.org/cvss/v3.1/specification-document, section 7 and Appendix A for
// Roundup). v3.0 differs from v3.1 only in its simpler Roundup.
import type { Severity } from '../types.js';

/** A scored CVSS vector. */
export type CvssScore = {
  readonly version: '2.0' | '3.0' | '3.1' | '4.0';
  readonly score: number;
  readonly severity: Severity;
  readonly vector: string;
};

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const ALLOWED: Readonly<Record<(typeof BASE)[number], readonly string[]>> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
};

/** v3.1 Roundup (Appendix A): the smallest number, to one decimal, ≥ the input, free of float error. */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

function roundup30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/** The qualitative rating of a 0–10 score (v3 and v4 share the bands). */
export function ratingOf(score: number): Severity {
  if (score === 0) return 'negligible';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** Parses `key:value/...` metrics, refusing repeated keys. */
export function parseMetrics(parts: readonly string[]): Map<string, string> | undefined {
  const metrics = new Map<string, string>();
  for (const part of parts) {
    const m = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!m || m[1] === undefined || m[2] === undefined || metrics.has(m[1])) return undefined;
    metrics.set(m[1], m[2]);
  }
  return metrics;
}

/**
 * The base score of a CVSS v3.0/v3.1 vector (`CVSS:3.1/AV:N/AC:L/...`); temporal and
 * environmental metrics, if present, are accepted and ignored. Undefined for a malformed vector.
 */
export function scoreCvss3(vector: string): CvssScore | undefined {
  const parts = vector.trim().split('/');
  const head = parts.shift();
  const version = head === 'CVSS:3.1' ? '3.1' : head === 'CVSS:3.0' ? '3.0' : undefined;
  if (version === undefined) return undefined;
  const m = parseMetrics(parts);
  if (m === undefined) return undefined;
  for (const key of BASE) {
    const v = m.get(key);
    if (v === undefined || !ALLOWED[key].includes(v)) return undefined;
  }
  const get = (k: (typeof BASE)[number]): string => m.get(k) ?? '';
  const changed = get('S') === 'C';
  const av = WEIGHTS.AV[get('AV') as keyof typeof WEIGHTS.AV];
  const ac = WEIGHTS.AC[get('AC') as keyof typeof WEIGHTS.AC];
  const ui = WEIGHTS.UI[get('UI') as keyof typeof WEIGHTS.UI];
  const pr = get('PR') === 'N' ? 0.85 : get('PR') === 'L' ? (changed ? 0.68 : 0.62) : changed ? 0.5 : 0.27;
  const c = WEIGHTS.CIA[get('C') as keyof typeof WEIGHTS.CIA];
  const i = WEIGHTS.CIA[get('I') as keyof typeof WEIGHTS.CIA];
  const a = WEIGHTS.CIA[get('A') as keyof typeof WEIGHTS.CIA];

  const roundup = version === '3.1' ? roundup31 : roundup30;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  let score: number;
  if (impact <= 0) score = 0;
  else if (changed) score = roundup(Math.min(1.08 * (impact + exploitability), 10));
  else score = roundup(Math.min(impact + exploitability, 10));
  return { version, score, severity: ratingOf(score), vector: vector.trim() };
}
