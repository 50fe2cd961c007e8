import { describe, expect, it } from 'vitest';
import { canonicalExpression, classifyLicense, licenseRefId, splitConjunction } from './license.js';

describe('classifyLicense', () => {
  it.each([
    // SPDX License List ids, in any case (SPDX 2.3 Annex D.2 matches them case-insensitively)
    ['MIT', { kind: 'id', id: 'MIT' }],
    ['mit', { kind: 'id', id: 'MIT' }],
    ['apache-2.0', { kind: 'id', id: 'Apache-2.0' }],
    [' BSD-3-Clause ', { kind: 'id', id: 'BSD-3-Clause' }],
    // compound expressions, canonicalized
    ['MIT OR Apache-2.0', { kind: 'expression', expression: 'MIT OR Apache-2.0' }],
    ['mit or apache-2.0', { kind: 'expression', expression: 'MIT OR Apache-2.0' }],
    [
      '(MIT OR Apache-2.0) AND BSD-3-Clause',
      { kind: 'expression', expression: '(MIT OR Apache-2.0) AND BSD-3-Clause' },
    ],
    ['MIT AND (BSD-2-Clause)', { kind: 'expression', expression: 'MIT AND BSD-2-Clause' }],
    [
      'MIT OR (Apache-2.0 AND BSD-3-Clause)',
      { kind: 'expression', expression: 'MIT OR Apache-2.0 AND BSD-3-Clause' },
    ],
    [
      'GPL-2.0-or-later WITH Classpath-exception-2.0',
      { kind: 'expression', expression: 'GPL-2.0-or-later WITH Classpath-exception-2.0' },
    ],
    ['GPL-2.0+', { kind: 'expression', expression: 'GPL-2.0+' }],
    ['LicenseRef-acme', { kind: 'expression', expression: 'LicenseRef-acme' }],
    // free text
    ['GPLv2+', { kind: 'name', name: 'GPLv2+' }],
    ['Apache 2.0', { kind: 'name', name: 'Apache 2.0' }],
    ['GPLv2+ and LGPLv2+', { kind: 'name', name: 'GPLv2+ and LGPLv2+' }],
    ['SEE LICENSE IN LICENSE.md', { kind: 'name', name: 'SEE LICENSE IN LICENSE.md' }],
    ['MIT,', { kind: 'name', name: 'MIT,' }],
    ['Classpath-exception-2.0', { kind: 'name', name: 'Classpath-exception-2.0' }],
  ])('%j is %j', (text, want) => {
    expect(classifyLicense(text)).toEqual(want);
  });

  it.each(['', '   ', 'NOASSERTION', 'NONE', 'noassertion'])('%j carries no license', (text) => {
    expect(classifyLicense(text)).toBeUndefined();
  });

  it('keeps a license text too long to be an expression as a name', () => {
    const text = `MIT ${'AND MIT '.repeat(200)}`;
    expect(classifyLicense(text)?.kind).toBe('name');
  });
});

describe('canonicalExpression', () => {
  it('returns undefined for what is not an expression', () => {
    expect(canonicalExpression('GPLv2')).toBeUndefined();
    expect(canonicalExpression('MIT AND')).toBeUndefined();
  });
});

describe('splitConjunction', () => {
  it.each([
    ['MIT', ['MIT']],
    ['MIT AND Apache-2.0', ['MIT', 'Apache-2.0']],
    ['(MIT OR Apache-2.0) AND BSD-3-Clause', ['MIT OR Apache-2.0', 'BSD-3-Clause']],
    ['MIT OR Apache-2.0', ['MIT OR Apache-2.0']],
    [
      'Apache-2.0 AND LicenseRef-GPLv2 AND LicenseRef-x-1',
      ['Apache-2.0', 'LicenseRef-GPLv2', 'LicenseRef-x-1'],
    ],
    ['GPLv3+', ['GPLv3+']],
  ])('splits %j at its top-level ANDs', (text, parts) => {
    expect(splitConjunction(text)).toEqual(parts);
  });
});

describe('licenseRefId', () => {
  it('keeps a name made of id characters as it is', () => {
    expect(licenseRefId('Artistic')).toBe('LicenseRef-Artistic');
  });

  it('replaces other characters and adds a hash of the original, so distinct texts stay distinct', () => {
    const a = licenseRefId('GPLv2+');
    const b = licenseRefId('GPLv2-');
    expect(a).toMatch(/^LicenseRef-GPLv2-[0-9a-f]{8}$/);
    expect(b).toMatch(/^LicenseRef-GPLv2-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(licenseRefId('⚖')).toMatch(/^LicenseRef-license-[0-9a-f]{8}$/);
  });
});
