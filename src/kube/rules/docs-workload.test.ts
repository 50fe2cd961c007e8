// The workload rules' pages say what, why, how to fix and what the peers call it, and the peers
// table names every rule.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../testing/fixtures.js';
import { KUBE_RULES } from './index.js';

const workload = KUBE_RULES.filter((r) => /^PC-K8S-0[0-3]\d$/.test(r.meta.id)).map((r) => r.meta);
const peers = readFileSync(path.join(repoRoot, 'docs', 'kube-audit-peers.md'), 'utf8');

describe('workload rule pages', () => {
  it('exist for PC-K8S-001 to PC-K8S-021', () => {
    expect(workload.map((m) => m.id)).toEqual(
      Array.from({ length: 21 }, (_, i) => `PC-K8S-${String(i + 1).padStart(3, '0')}`),
    );
  });

  it.each(workload.map((m) => [m.id, m] as const))(
    '%s: sections, severity, every equivalent, peers row',
    (id, meta) => {
      const text = readFileSync(path.join(repoRoot, meta.docs), 'utf8');
      expect(text.startsWith(`# ${id}: ${meta.title}\n`)).toBe(true);
      expect(text).toContain(`Severity: ${meta.severity}`);
      for (const section of ['## What', '## Why', '## Fix', '## Equivalents'])
        expect(text).toContain(section);
      for (const peerId of Object.values(meta.equivalents).flat()) {
        expect(text, peerId).toContain(`\`${peerId}\``);
        expect(peers, peerId).toContain(peerId);
      }
      expect(peers).toContain(`| ${id} `);
    },
  );
});
