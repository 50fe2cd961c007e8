import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { auditImageConfig } from './index.js';
import { allImageRules } from './rules/index.js';

// Image-config fixtures from goodwithtech/dockle's manifest assessor tests; EXPECTED.md beside
// them lists the checkpoint codes dockle gives each. Our findings are mapped back to dockle
// codes through each rule's `equivalents.dockle`, and must give the same codes, as often.
const dir = sharedData('lint-audit', 'image-config', 'dockle');

function expectedCodes(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(`${dir}/EXPECTED.md`, 'utf8').split('\n')) {
    const row = /^\| (\w+\.json) \| (.*) \|$/.exec(line);
    if (!row?.[1] || row[2] === undefined) continue;
    // "CIS-DI-0009 x2" counts twice; text in parentheses explains and is not a code.
    const cell = row[2].replace(/\([^)]*\)/g, '');
    const codes: string[] = [];
    for (const m of cell.matchAll(/((?:CIS|DKL)-[A-Z]{2}-\d{4})(?:\s*x(\d+))?/g)) {
      for (let i = 0; i < Number(m[2] ?? '1'); i++) codes.push(m[1] ?? '');
    }
    out.set(row[1], codes);
  }
  return out;
}

const dockleOf = new Map<string, string | undefined>(
  allImageRules.map((r) => [r.id, r.equivalents.dockle?.[0]]),
);

describe('dockle image-config fixtures', () => {
  const expected = expectedCodes();

  it('lists every fixture', () => {
    expect([...expected.keys()].sort()).toEqual([
      'add_with_arg_statement.json',
      'apk_cache.json',
      'apt_update_upgrade.json',
      'multi_add.json',
      'nginx.json',
      'root_default.json',
    ]);
  });

  it.each([...expected].filter(([, codes]) => codes.length > 0))('%s gives %j', async (fixture, codes) => {
    const config: unknown = JSON.parse(readFileSync(`${dir}/${fixture}`, 'utf8'));
    const found = (await auditImageConfig(config))
      .map((f) => dockleOf.get(f.ruleId))
      .filter((c) => c !== undefined);
    expect(found.sort()).toEqual([...codes].sort());
  });

  it('nginx.json (dockle keeps it for shell splitting) parses and audits', async () => {
    const config: unknown = JSON.parse(readFileSync(`${dir}/nginx.json`, 'utf8'));
    const ids = (await auditImageConfig(config)).map((f) => f.ruleId);
    expect(ids).toContain('PC-IMG-001');
    expect(ids).not.toContain('PC-IMG-003');
  });
});
