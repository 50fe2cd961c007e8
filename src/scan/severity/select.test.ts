// Rating words and the order severity sources are tried in.
import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../../vulndb/index.js';
import { compareSeverity, normalizeRating, selectSeverity } from './select.js';

describe('normalizeRating', () => {
  it.each([
    ['critical', 'critical'],
    ['CRITICAL', 'critical'],
    ['high', 'high'],
    ['Important', 'high'],
    ['MODERATE', 'medium'],
    ['medium', 'medium'],
    ['low', 'low'],
    ['negligible', 'negligible'],
    ['unimportant', 'negligible'],
    [' Low ', 'low'],
    ['not yet assigned', undefined],
    ['unknown', undefined],
    ['end-of-life', undefined],
    ['constructor', undefined],
  ] as const)('%j → %s', (word, want) => {
    expect(normalizeRating(word)).toBe(want);
  });
});

describe('selectSeverity', () => {
  const record: OsvRecord = {
    id: 'CVE-2024-1',
    modified: '2024-01-01T00:00:00Z',
    severity: [
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
      { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' },
    ],
    database_specific: { severity: 'LOW' },
  };
  const matched = [{ record, affected: [{ ecosystem_specific: { severity: 'medium' } }] }];

  it('takes the highest of several vectors of one version', () => {
    expect(selectSeverity(matched, false)).toEqual({
      severity: 'high',
      source: 'cvss_v3',
      score: 7.5,
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
    });
  });

  it('uses the distro rating only for OS packages', () => {
    expect(selectSeverity(matched, true).source).toBe('distro');
    expect(selectSeverity(matched, false, ['distro', 'record'])).toMatchObject({
      severity: 'low',
      source: 'record',
    });
  });

  it('follows the order given', () => {
    expect(selectSeverity(matched, true, ['cvss_v2', 'distro'])).toMatchObject({
      severity: 'high',
      source: 'cvss_v2',
      score: 10,
    });
    expect(selectSeverity(matched, true, [])).toEqual({
      severity: 'unknown',
      source: 'none',
      score: undefined,
      vector: undefined,
    });
  });

  it('orders severities most severe first', () => {
    const all = ['unknown', 'low', 'critical', 'negligible', 'high', 'medium'] as const;
    expect([...all].sort(compareSeverity)).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'negligible',
      'unknown',
    ]);
  });
});
