import { describe, expect, it } from 'vitest';
import { shouldUseColor, toTable } from './table.js';
import { DEBIAN, FINDINGS, RESULT, TARGET, finding } from './testdata/findings.js';

const input = { target: TARGET, os: DEBIAN, results: RESULT };
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

describe('toTable', () => {
  it('groups findings under their package, worst first, with fixed version and totals', () => {
    expect(toTable(input, { color: false })).toBe(
      [
        'registry.example/team/app:1.0 (debian 12)',
        '',
        'libssl3 3.0.11-1~deb12u2 (deb) var/lib/dpkg/status',
        '  CVE-2024-0002   CRITICAL  fixed     3.0.13-1~deb12u1  openssl: buffer overflow',
        '  CVE-2024-0001   HIGH      fixed     3.0.13-1~deb12u1  openssl: denial of service in X.509 parsing',
        '',
        'lodash 4.17.20 (npm) app/node_modules/lodash/package.json',
        '  CVE-2021-23337  LOW       fixed     4.17.21           Command Injection in lodash',
        '',
        'zlib1g 1:1.2.13.dfsg-1 (deb) var/lib/dpkg/status',
        '  CVE-2023-9999   MEDIUM    affected  -',
        '',
        'Total: 4 (CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1)',
        '',
      ].join('\n'),
    );
  });

  it('colours severities only when asked', () => {
    expect(toTable(input, { color: false })).not.toMatch(ANSI);
    const coloured = toTable(input, { color: true });
    expect(coloured).toContain('\u001b[1;31mCRITICAL');
    expect(coloured).toContain('\u001b[33mMEDIUM');
  });

  it('says so when nothing was found, and lists suppressed findings with their reason when asked', () => {
    const [high] = FINDINGS;
    if (high === undefined) throw new Error('fixture');
    const text = toTable(
      {
        ...input,
        results: { ...RESULT, findings: [] },
        suppressed: [
          { finding: high, suppression: { by: 'ignore', reason: 'accepted', expires: '2026-12-31' } },
        ],
      },
      { color: false, showSuppressed: true },
    );
    expect(text).toContain('No vulnerabilities found.');
    expect(text).toContain('Suppressed:');
    expect(text).toContain('ignored: accepted (until 2026-12-31)');
    expect(text).toContain('Total: 0 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0), suppressed: 1');
  });

  it('neutralises control characters from feeds and images', () => {
    const text = toTable(
      {
        ...input,
        results: { ...RESULT, findings: [finding({ title: 'evil \u001b[2J\u001b]0;pwned\u0007 title' })] },
      },
      { color: false },
    );
    expect(text).not.toMatch(ANSI);
    expect(text).not.toContain('\u0007');
  });

  it('clips long titles', () => {
    const text = toTable(
      { ...input, results: { ...RESULT, findings: [finding({ title: 'x'.repeat(200) })] } },
      { color: false, maxTitle: 10 },
    );
    expect(text).toContain(`${'x'.repeat(9)}…`);
  });
});

describe('shouldUseColor', () => {
  it.each([
    { isTTY: true, env: {}, color: true },
    { isTTY: false, env: {}, color: false },
    { isTTY: undefined, env: {}, color: false },
    { isTTY: true, env: { NO_COLOR: '1' }, color: false },
    { isTTY: true, env: { TERM: 'dumb' }, color: false },
    { isTTY: false, env: { FORCE_COLOR: '1' }, color: true },
    { isTTY: true, env: { FORCE_COLOR: '0' }, color: false },
    { isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' }, color: false },
  ])('isTTY $isTTY with $env gives $color', ({ isTTY, env, color }) => {
    expect(shouldUseColor(isTTY === undefined ? {} : { isTTY }, env)).toBe(color);
  });
});
