// CVSS base scores against the scores NVD publishes for these vectors (each vector is common in
// NVD; the score is what NVD's and FIRST's calculators give for it).
import { describe, expect, it } from 'vitest';
import { scoreCvss2 } from './cvss2.js';
import { ratingOf, scoreCvss3 } from './cvss3.js';

const V31: readonly (readonly [string, number])[] = [
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ['AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', 7.5],
  ['AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
  ['AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
  ['AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
  ['AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1],
  ['AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
  ['AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', 5.3],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N', 5.3],
  ['AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
  ['AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H', 5.9],
  ['AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2],
  ['AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8],
  ['AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N', 6.5],
  ['AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 6.5],
  ['AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 6.5],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N', 6.5],
  ['AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H', 5.5],
  ['AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
  ['AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.5],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L', 7.3],
  ['AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8],
  ['AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.0],
  ['AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
  ['AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8],
  ['AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H', 9.6],
  ['AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 6.7],
  ['AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N', 9.1],
  ['AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.4],
  ['AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N', 4.3],
  ['AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N', 4.3],
  ['AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N', 3.7],
  ['AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N', 3.3],
  ['AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:N/A:N', 2.7],
  ['AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', 2.4],
  ['AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0.0],
  ['AV:L/AC:H/PR:H/UI:R/S:C/C:N/I:N/A:N', 0.0],
];

describe('CVSS v3.1 base score', () => {
  it.each(V31)('CVSS:3.1/%s scores %d', (metrics, score) => {
    const r = scoreCvss3(`CVSS:3.1/${metrics}`);
    expect(r?.score).toBe(score);
    expect(r?.version).toBe('3.1');
    expect(r?.severity).toBe(ratingOf(score));
  });

  it.each(V31)('CVSS:3.0/%s scores %d as well', (metrics, score) => {
    expect(scoreCvss3(`CVSS:3.0/${metrics}`)?.score).toBe(score);
  });

  it('rates by the v3 bands', () => {
    expect(scoreCvss3('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')?.severity).toBe('critical');
    expect(scoreCvss3('CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H')?.severity).toBe('high');
    expect(scoreCvss3('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N')?.severity).toBe('medium');
    expect(scoreCvss3('CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N')?.severity).toBe('low');
    expect(scoreCvss3('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')?.severity).toBe('negligible');
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(ratingOf)).toEqual([
      'negligible',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
      'critical',
    ]);
  });

  it('ignores temporal and environmental metrics and metric order', () => {
    expect(scoreCvss3('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C')?.score).toBe(9.8);
    expect(scoreCvss3('CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N')?.score).toBe(9.8);
  });

  it.each([
    'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
    'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/',
    'CVSS:3.1/',
    '',
  ])('refuses the malformed vector %j', (vector) => {
    expect(scoreCvss3(vector)).toBeUndefined();
  });
});

describe('CVSS v2 base score', () => {
  it.each([
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5, 'high'],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10.0, 'high'],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3, 'medium'],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:P', 5.0, 'medium'],
    ['AV:N/AC:L/Au:N/C:P/I:N/A:N', 5.0, 'medium'],
    ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2, 'high'],
    ['AV:N/AC:M/Au:N/C:C/I:C/A:C', 9.3, 'high'],
    ['AV:N/AC:M/Au:N/C:P/I:P/A:P', 6.8, 'medium'],
    ['AV:L/AC:L/Au:N/C:P/I:N/A:N', 2.1, 'low'],
    ['AV:N/AC:L/Au:S/C:P/I:P/A:P', 6.5, 'medium'],
    ['AV:N/AC:H/Au:N/C:P/I:P/A:P', 5.1, 'medium'],
    ['AV:L/AC:M/Au:N/C:C/I:C/A:C', 6.9, 'medium'],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:C', 7.8, 'high'],
    ['AV:L/AC:L/Au:N/C:N/I:N/A:C', 4.9, 'medium'],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:N', 0, 'low'],
  ] as const)('%s scores %d (%s)', (vector, score, severity) => {
    expect(scoreCvss2(vector)).toEqual({ version: '2.0', score, severity, vector });
    expect(scoreCvss2(`(${vector})`)?.score).toBe(score);
  });

  it('refuses malformed vectors', () => {
    expect(scoreCvss2('AV:N/AC:L/Au:N/C:P/I:P')).toBeUndefined();
    expect(scoreCvss2('AV:Q/AC:L/Au:N/C:P/I:P/A:P')).toBeUndefined();
    expect(scoreCvss2('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
  });
});
