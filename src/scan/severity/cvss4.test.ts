// CVSS v4.0 scores: vectors common in NVD and GitHub advisories with the scores those publish,
// and cases worked by hand through section 8 of the specification.
import { describe, expect, it } from 'vitest';
import { scoreCvss4 } from './cvss4.js';

describe('CVSS v4.0 score', () => {
  it.each([
    // Published scores.
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3, 'critical'],
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10, 'critical'],
    ['AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.7, 'high'],
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', 8.7, 'high'],
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 8.7, 'high'],
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', 6.9, 'medium'],
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N', 6.9, 'medium'],
    ['AV:N/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', 5.3, 'medium'],
    ['AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5, 'high'],
    ['AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.2, 'critical'],
    // Worked by hand: MacroVector 010200 (9.2), at its highest-severity vector.
    ['AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.2, 'critical'],
    // 100200 (8.7): AV:N/PR:N/UI:P is one of EQ1 level 1's highest vectors, so no distance.
    ['AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.7, 'high'],
    // 102201 (5.3): the EQ3 and EQ4 distances have no lower MacroVector to move towards.
    ['AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.3, 'medium'],
    // Threat metric: E:U moves to MacroVector 000220 (8.1).
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 8.1, 'high'],
    // No impact at all: 0.
    ['AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0, 'negligible'],
  ] as const)('CVSS:4.0/%s scores %d', (metrics, score, severity) => {
    const vector = `CVSS:4.0/${metrics}`;
    expect(scoreCvss4(vector)).toEqual({ version: '4.0', score, severity, vector });
  });

  it('takes modified (environmental) metrics over base ones', () => {
    // MVC/MVI/MVA:N remove every vulnerable-system impact: nothing left to score.
    expect(
      scoreCvss4('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MVC:N/MVI:N/MVA:N')?.score,
    ).toBe(0);
    // MPR:L makes it the PR:L vector.
    expect(scoreCvss4('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MPR:L')?.score).toBe(
      8.7,
    );
  });

  it('ignores supplemental metrics and metric order', () => {
    expect(
      scoreCvss4('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/U:Red')?.score,
    ).toBe(9.3);
    expect(scoreCvss4('CVSS:4.0/SA:N/SI:N/SC:N/VA:H/VI:H/VC:H/UI:N/PR:N/AT:N/AC:L/AV:N')?.score).toBe(9.3);
  });

  it.each([
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N',
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N',
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y',
    'CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    'AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
  ])('refuses the malformed vector %j', (vector) => {
    expect(scoreCvss4(vector)).toBeUndefined();
  });
});
