// CVSS v4.0 scores from the vector string, per FIRST's specification
// (https://www.first.org/cvss/v4.0/specification-document, section 8 "CVSS v4.0 Scoring"):
// the vector falls in a MacroVector (six equivalence classes, EQ1–EQ6) whose score FIRST
// publishes in a lookup table, and the score is lowered from there in proportion to the
// vector's severity distance from the MacroVector's highest-severity vectors, averaged over the
// EQs that have a lower MacroVector.
//
// The three tables below are the specification's data as FIRST publishes it with its reference
// calculator (cvss_lookup.js, max_composed.js, max_severity.js; Copyright FIRST, Red Hat, and
// contributors, BSD-2-Clause).
import { parseMetrics, ratingOf, type CvssScore } from './cvss3.js';

/** MacroVector (EQ1..EQ6 digits) → score of its highest-severity vector. */
const MACRO_SCORES: Readonly<Record<string, number>> = {
  '000000': 10,
  '000001': 9.9,
  '000010': 9.8,
  '000011': 9.5,
  '000020': 9.5,
  '000021': 9.2,
  '000100': 10,
  '000101': 9.6,
  '000110': 9.3,
  '000111': 8.7,
  '000120': 9.1,
  '000121': 8.1,
  '000200': 9.3,
  '000201': 9,
  '000210': 8.9,
  '000211': 8,
  '000220': 8.1,
  '000221': 6.8,
  '001000': 9.8,
  '001001': 9.5,
  '001010': 9.5,
  '001011': 9.2,
  '001020': 9,
  '001021': 8.4,
  '001100': 9.3,
  '001101': 9.2,
  '001110': 8.9,
  '001111': 8.1,
  '001120': 8.1,
  '001121': 6.5,
  '001200': 8.8,
  '001201': 8,
  '001210': 7.8,
  '001211': 7,
  '001220': 6.9,
  '001221': 4.8,
  '002001': 9.2,
  '002011': 8.2,
  '002021': 7.2,
  '002101': 7.9,
  '002111': 6.9,
  '002121': 5,
  '002201': 6.9,
  '002211': 5.5,
  '002221': 2.7,
  '010000': 9.9,
  '010001': 9.7,
  '010010': 9.5,
  '010011': 9.2,
  '010020': 9.2,
  '010021': 8.5,
  '010100': 9.5,
  '010101': 9.1,
  '010110': 9,
  '010111': 8.3,
  '010120': 8.4,
  '010121': 7.1,
  '010200': 9.2,
  '010201': 8.1,
  '010210': 8.2,
  '010211': 7.1,
  '010220': 7.2,
  '010221': 5.3,
  '011000': 9.5,
  '011001': 9.3,
  '011010': 9.2,
  '011011': 8.5,
  '011020': 8.5,
  '011021': 7.3,
  '011100': 9.2,
  '011101': 8.2,
  '011110': 8,
  '011111': 7.2,
  '011120': 7,
  '011121': 5.9,
  '011200': 8.4,
  '011201': 7,
  '011210': 7.1,
  '011211': 5.2,
  '011220': 5,
  '011221': 3,
  '012001': 8.6,
  '012011': 7.5,
  '012021': 5.2,
  '012101': 7.1,
  '012111': 5.2,
  '012121': 2.9,
  '012201': 6.3,
  '012211': 2.9,
  '012221': 1.7,
  '100000': 9.8,
  '100001': 9.5,
  '100010': 9.4,
  '100011': 8.7,
  '100020': 9.1,
  '100021': 8.1,
  '100100': 9.4,
  '100101': 8.9,
  '100110': 8.6,
  '100111': 7.4,
  '100120': 7.7,
  '100121': 6.4,
  '100200': 8.7,
  '100201': 7.5,
  '100210': 7.4,
  '100211': 6.3,
  '100220': 6.3,
  '100221': 4.9,
  '101000': 9.4,
  '101001': 8.9,
  '101010': 8.8,
  '101011': 7.7,
  '101020': 7.6,
  '101021': 6.7,
  '101100': 8.6,
  '101101': 7.6,
  '101110': 7.4,
  '101111': 5.8,
  '101120': 5.9,
  '101121': 5,
  '101200': 7.2,
  '101201': 5.7,
  '101210': 5.7,
  '101211': 5.2,
  '101220': 5.2,
  '101221': 2.5,
  '102001': 8.3,
  '102011': 7,
  '102021': 5.4,
  '102101': 6.5,
  '102111': 5.8,
  '102121': 2.6,
  '102201': 5.3,
  '102211': 2.1,
  '102221': 1.3,
  '110000': 9.5,
  '110001': 9,
  '110010': 8.8,
  '110011': 7.6,
  '110020': 7.6,
  '110021': 7,
  '110100': 9,
  '110101': 7.7,
  '110110': 7.5,
  '110111': 6.2,
  '110120': 6.1,
  '110121': 5.3,
  '110200': 7.7,
  '110201': 6.6,
  '110210': 6.8,
  '110211': 5.9,
  '110220': 5.2,
  '110221': 3,
  '111000': 8.9,
  '111001': 7.8,
  '111010': 7.6,
  '111011': 6.7,
  '111020': 6.2,
  '111021': 5.8,
  '111100': 7.4,
  '111101': 5.9,
  '111110': 5.7,
  '111111': 5.7,
  '111120': 4.7,
  '111121': 2.3,
  '111200': 6.1,
  '111201': 5.2,
  '111210': 5.7,
  '111211': 2.9,
  '111220': 2.4,
  '111221': 1.6,
  '112001': 7.1,
  '112011': 5.9,
  '112021': 3,
  '112101': 5.8,
  '112111': 2.6,
  '112121': 1.5,
  '112201': 2.3,
  '112211': 1.3,
  '112221': 0.6,
  '200000': 9.3,
  '200001': 8.7,
  '200010': 8.6,
  '200011': 7.2,
  '200020': 7.5,
  '200021': 5.8,
  '200100': 8.6,
  '200101': 7.4,
  '200110': 7.4,
  '200111': 6.1,
  '200120': 5.6,
  '200121': 3.4,
  '200200': 7,
  '200201': 5.4,
  '200210': 5.2,
  '200211': 4,
  '200220': 4,
  '200221': 2.2,
  '201000': 8.5,
  '201001': 7.5,
  '201010': 7.4,
  '201011': 5.5,
  '201020': 6.2,
  '201021': 5.1,
  '201100': 7.2,
  '201101': 5.7,
  '201110': 5.5,
  '201111': 4.1,
  '201120': 4.6,
  '201121': 1.9,
  '201200': 5.3,
  '201201': 3.6,
  '201210': 3.4,
  '201211': 1.9,
  '201220': 1.9,
  '201221': 0.8,
  '202001': 6.4,
  '202011': 5.1,
  '202021': 2,
  '202101': 4.7,
  '202111': 2.1,
  '202121': 1.1,
  '202201': 2.4,
  '202211': 0.9,
  '202221': 0.4,
  '210000': 8.8,
  '210001': 7.5,
  '210010': 7.3,
  '210011': 5.3,
  '210020': 6,
  '210021': 5,
  '210100': 7.3,
  '210101': 5.5,
  '210110': 5.9,
  '210111': 4,
  '210120': 4.1,
  '210121': 2,
  '210200': 5.4,
  '210201': 4.3,
  '210210': 4.5,
  '210211': 2.2,
  '210220': 2,
  '210221': 1.1,
  '211000': 7.5,
  '211001': 5.5,
  '211010': 5.8,
  '211011': 4.5,
  '211020': 4,
  '211021': 2.1,
  '211100': 6.1,
  '211101': 5.1,
  '211110': 4.8,
  '211111': 1.8,
  '211120': 2,
  '211121': 0.9,
  '211200': 4.6,
  '211201': 1.8,
  '211210': 1.7,
  '211211': 0.7,
  '211220': 0.8,
  '211221': 0.2,
  '212001': 5.3,
  '212011': 2.4,
  '212021': 1.4,
  '212101': 2.4,
  '212111': 1.2,
  '212121': 0.5,
  '212201': 1,
  '212211': 0.3,
  '212221': 0.1,
};

/** Highest-severity vectors of each EQ level (EQ3 and EQ6 together, keyed by EQ3 then EQ6). */
const MAX_VECTORS = {
  eq1: [
    ['AV:N/PR:N/UI:N'],
    ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P'],
    ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P'],
  ],
  eq2: [['AC:L/AT:N'], ['AC:H/AT:N', 'AC:L/AT:P']],
  eq3eq6: [
    [['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H'], ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M']],
    [
      ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H'],
      [
        'VC:L/VI:H/VA:L/CR:H/IR:M/AR:H',
        'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M',
        'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M',
        'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H',
        'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M',
      ],
    ],
    [[], ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H']],
  ],
  eq4: [['SC:H/SI:S/SA:S'], ['SC:H/SI:H/SA:H'], ['SC:L/SI:L/SA:L']],
  eq5: [['E:A'], ['E:P'], ['E:U']],
} as const;

/** Depth of each EQ level in severity-distance steps (+1), keyed like MAX_VECTORS. */
const DEPTHS = {
  eq1: [1, 4, 5],
  eq2: [1, 2],
  eq3eq6: [
    [7, 6],
    [8, 8],
    [Number.NaN, 10],
  ],
  eq4: [6, 5, 4],
} as const;

// Severity levels of each metric value in steps of 0.1 (0 is the most severe), as section 8.
const LEVELS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0.0, L: 0.1, H: 0.2 },
  UI: { N: 0.0, P: 0.1, A: 0.2 },
  AC: { L: 0.0, H: 0.1 },
  AT: { N: 0.0, P: 0.1 },
  VC: { H: 0.0, L: 0.1, N: 0.2 },
  VI: { H: 0.0, L: 0.1, N: 0.2 },
  VA: { H: 0.0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0.0, M: 0.1, L: 0.2 },
  IR: { H: 0.0, M: 0.1, L: 0.2 },
  AR: { H: 0.0, M: 0.1, L: 0.2 },
};

const BASE_VALUES: Readonly<Record<string, readonly string[]>> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  AT: ['N', 'P'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'P', 'A'],
  VC: ['H', 'L', 'N'],
  VI: ['H', 'L', 'N'],
  VA: ['H', 'L', 'N'],
  SC: ['H', 'L', 'N'],
  SI: ['H', 'L', 'N'],
  SA: ['H', 'L', 'N'],
};

const OPTIONAL_VALUES: Readonly<Record<string, readonly string[]>> = {
  E: ['X', 'A', 'P', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MAT: ['X', 'N', 'P'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'P', 'A'],
  MVC: ['X', 'H', 'L', 'N'],
  MVI: ['X', 'H', 'L', 'N'],
  MVA: ['X', 'H', 'L', 'N'],
  MSC: ['X', 'H', 'L', 'N'],
  MSI: ['X', 'S', 'H', 'L', 'N'],
  MSA: ['X', 'S', 'H', 'L', 'N'],
  // Supplemental metrics do not affect the score.
  S: ['X', 'N', 'P'],
  AU: ['X', 'N', 'Y'],
  R: ['X', 'A', 'U', 'I'],
  V: ['X', 'D', 'C'],
  RE: ['X', 'L', 'M', 'H'],
  U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
};

/** The value a metric takes for scoring: modified (environmental) values override base ones; unset threat and requirement metrics are their worst case. */
function effective(metrics: ReadonlyMap<string, string>, key: string): string {
  const v = metrics.get(key) ?? 'X';
  if (key === 'E' && v === 'X') return 'A';
  if ((key === 'CR' || key === 'IR' || key === 'AR') && v === 'X') return 'H';
  const modified = metrics.get(`M${key}`);
  return modified !== undefined && modified !== 'X' ? modified : v;
}

function macroVectorOf(
  m: (key: string) => string,
): readonly [number, number, number, number, number, number] {
  const [av, pr, ui] = [m('AV'), m('PR'), m('UI')];
  const eq1 =
    av === 'N' && pr === 'N' && ui === 'N'
      ? 0
      : (av === 'N' || pr === 'N' || ui === 'N') && av !== 'P'
        ? 1
        : 2;
  const eq2 = m('AC') === 'L' && m('AT') === 'N' ? 0 : 1;
  const [vc, vi, va] = [m('VC'), m('VI'), m('VA')];
  const eq3 = vc === 'H' && vi === 'H' ? 0 : vc === 'H' || vi === 'H' || va === 'H' ? 1 : 2;
  const eq4 =
    m('SI') === 'S' || m('SA') === 'S' ? 0 : m('SC') === 'H' || m('SI') === 'H' || m('SA') === 'H' ? 1 : 2;
  const e = m('E');
  const eq5 = e === 'A' ? 0 : e === 'P' ? 1 : 2;
  const eq6 =
    (m('CR') === 'H' && vc === 'H') || (m('IR') === 'H' && vi === 'H') || (m('AR') === 'H' && va === 'H')
      ? 0
      : 1;
  return [eq1, eq2, eq3, eq4, eq5, eq6];
}

function scoreOf(digits: readonly number[]): number {
  return MACRO_SCORES[digits.join('')] ?? Number.NaN;
}

function cartesian(parts: readonly (readonly string[])[]): string[] {
  let out = [''];
  for (const options of parts)
    out = out.flatMap((prefix) => options.map((o) => (prefix === '' ? o : `${prefix}/${o}`)));
  return out;
}

function level(key: string, value: string): number {
  return LEVELS[key]?.[value] ?? Number.NaN;
}

/** Section 8's interpolation within the MacroVector. */
function interpolate(m: (key: string) => string): number {
  const mv = macroVectorOf(m);
  const [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
  let value = scoreOf(mv);

  const lower = (i: number, j?: number): number =>
    scoreOf(mv.map((d, k) => (k === i || k === j ? d + 1 : d)));
  let eq3eq6Lower: number;
  if (eq3 === 0 && eq6 === 0) {
    // Two ways down (00 → 01 or 10): the higher-scoring one.
    const left = lower(5);
    const right = lower(2);
    eq3eq6Lower = left > right ? left : right;
  } else if (eq3 === 1 && eq6 === 0) eq3eq6Lower = lower(5);
  else if (eq3 === 2) eq3eq6Lower = lower(2, 5);
  else eq3eq6Lower = lower(2);

  const maxVectors = cartesian([
    MAX_VECTORS.eq1[eq1] ?? [],
    MAX_VECTORS.eq2[eq2] ?? [],
    MAX_VECTORS.eq3eq6[eq3]?.[eq6] ?? [],
    MAX_VECTORS.eq4[eq4] ?? [],
    MAX_VECTORS.eq5[eq5] ?? [],
  ]);
  const keys = ['AV', 'PR', 'UI', 'AC', 'AT', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA', 'CR', 'IR', 'AR'];
  let distance: Record<string, number> = {};
  for (const max of maxVectors) {
    const maxMetrics = new Map(max.split('/').map((p) => p.split(':') as [string, string]));
    distance = Object.fromEntries(keys.map((k) => [k, level(k, m(k)) - level(k, maxMetrics.get(k) ?? '')]));
    // The first highest-severity vector the scored vector is not above in any metric.
    if (!Object.values(distance).some((d) => d < 0)) break;
  }
  const d = (k: string): number => distance[k] ?? 0;
  const step = 0.1;
  const eqs: readonly { readonly available: number; readonly current: number; readonly depth: number }[] = [
    {
      available: value - lower(0),
      current: d('AV') + d('PR') + d('UI'),
      depth: (DEPTHS.eq1[eq1] ?? Number.NaN) * step,
    },
    {
      available: value - lower(1),
      current: d('AC') + d('AT'),
      depth: (DEPTHS.eq2[eq2] ?? Number.NaN) * step,
    },
    {
      available: value - eq3eq6Lower,
      current: d('VC') + d('VI') + d('VA') + d('CR') + d('IR') + d('AR'),
      depth: (DEPTHS.eq3eq6[eq3]?.[eq6] ?? Number.NaN) * step,
    },
    {
      available: value - lower(3),
      current: d('SC') + d('SI') + d('SA'),
      depth: (DEPTHS.eq4[eq4] ?? Number.NaN) * step,
    },
    // EQ5's proportion is always 0, but it counts among the EQs with a lower MacroVector.
    { available: value - lower(4), current: 0, depth: 1 },
  ];
  let sum = 0;
  let n = 0;
  for (const eq of eqs) {
    if (Number.isNaN(eq.available)) continue;
    n += 1;
    sum += eq.available * (eq.current / eq.depth);
  }
  value -= n === 0 ? 0 : sum / n;
  return Math.round(Math.min(10, Math.max(0, value)) * 10) / 10;
}

/**
 * The CVSS v4.0 score of a vector (`CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/...`): CVSS-B for a
 * base vector, CVSS-BT/BE/BTE when threat or environmental metrics are present. Undefined for a
 * malformed vector (missing or repeated metric, unknown value).
 */
export function scoreCvss4(vector: string): CvssScore | undefined {
  const parts = vector.trim().split('/');
  if (parts.shift() !== 'CVSS:4.0') return undefined;
  const metrics = parseMetrics(parts);
  if (metrics === undefined) return undefined;
  for (const [key, value] of metrics) {
    const allowed = BASE_VALUES[key] ?? OPTIONAL_VALUES[key];
    if (allowed === undefined || !allowed.includes(value)) return undefined;
  }
  if (Object.keys(BASE_VALUES).some((k) => !metrics.has(k))) return undefined;
  const m = (key: string): string => effective(metrics, key);
  const impact = ['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].some((k) => m(k) !== 'N');
  const score = impact ? interpolate(m) : 0;
  return { version: '4.0', score, severity: ratingOf(score), vector: vector.trim() };
}
