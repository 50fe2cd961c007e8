// CVSS v2 base scores from the vector string, per FIRST's v2 guide
// (https://www.first.org/cvss/v2/guide, section 3.2.1), with NVD's v2 rating bands.
import type { Severity } from '../types.js';
import { parseMetrics, type CvssScore } from './cvss3.js';

const AV: Readonly<Record<string, number>> = { L: 0.395, A: 0.646, N: 1 };
const AC: Readonly<Record<string, number>> = { H: 0.35, M: 0.61, L: 0.71 };
const AU: Readonly<Record<string, number>> = { M: 0.45, S: 0.56, N: 0.704 };
const CIA: Readonly<Record<string, number>> = { N: 0, P: 0.275, C: 0.66 };

/** NVD's v2 bands: low below 4, medium below 7, high from 7. */
function rating2(score: number): Severity {
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  return 'high';
}

/**
 * The base score of a CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally in parentheses
 * or after `CVSS:2.0/`). Undefined for a malformed vector.
 */
export function scoreCvss2(vector: string): CvssScore | undefined {
  let text = vector.trim();
  if (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1);
  if (text.startsWith('CVSS:2.0/')) text = text.slice('CVSS:2.0/'.length);
  const m = parseMetrics(text.split('/'));
  if (m === undefined) return undefined;
  const av = AV[m.get('AV') ?? ''];
  const ac = AC[m.get('AC') ?? ''];
  const au = AU[m.get('Au') ?? ''];
  const c = CIA[m.get('C') ?? ''];
  const i = CIA[m.get('I') ?? ''];
  const a = CIA[m.get('A') ?? ''];
  if (av === undefined || ac === undefined || au === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;
  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const exploitability = 20 * av * ac * au;
  const f = impact === 0 ? 0 : 1.176;
  const raw = (0.6 * impact + 0.4 * exploitability - 1.5) * f;
  // Round to one decimal, half up, after removing float noise.
  const score = Math.max(0, Math.round(Math.round(raw * 100000) / 10000) / 10);
  return { version: '2.0', score, severity: rating2(score), vector: vector.trim() };
}
