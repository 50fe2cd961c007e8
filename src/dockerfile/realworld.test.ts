import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { lintDockerfile } from './lint.js';

function dockerfilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) return dockerfilesUnder(p);
      return /^Dockerfile/.test(name) ? [p] : [];
    });
}

describe('real-world Dockerfiles (docker-library images)', () => {
  const root = sharedData('dockerfile-lint', 'real-world');
  const files = dockerfilesUnder(root);

  it('all parse and lint without throwing, with these findings by rule', () => {
    // SOURCES.md's summary says 103, but its table lists 101 Dockerfiles (plus 4 LICENSE files),
    // and those 101 are what is on disk.
    const listed = [
      ...readFileSync(sharedData('dockerfile-lint', 'SOURCES.md'), 'utf8').matchAll(
        /`real-world\/([^`]*\/Dockerfile[^`]*)`/g,
      ),
    ]
      .map((m) => path.join(root, m[1] ?? ''))
      .sort();
    expect([...files].sort()).toEqual(listed);
    expect(files.length).toBe(101);
    const counts: Record<string, number> = {};
    for (const file of files) {
      for (const f of lintDockerfile(readFileSync(file, 'utf8'), path.relative(root, file))) {
        counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
      }
    }
    expect(counts).toMatchInlineSnapshot(`
      {
        "PC-DF-002": 102,
        "PC-DF-004": 32,
        "PC-DF-006": 101,
        "PC-DF-012": 6,
      }
    `);
  });
});
