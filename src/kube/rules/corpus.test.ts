// Every manifest in the shared Kubernetes corpora, through the workload rules: no rule may
// throw on any object, and every finding must point at a line of its file and a path.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { auditObjects } from '../engine/audit.js';
import { loadManifests } from '../load/parse.js';
import type { LoadedObject } from '../types.js';
import { KUBE_RULES } from './index.js';

const WORKLOAD_RULES = KUBE_RULES.filter((r) => /^PC-K8S-0[0-3]\d$/.test(r.meta.id));

function manifests(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return manifests(p);
    return /\.(ya?ml|json)$/.test(f) ? [p] : [];
  });
}

/** The objects of a file, or undefined for files the loader refuses (templates, broken fixtures). */
function tryLoad(file: string, text: string): LoadedObject[] | undefined {
  try {
    return loadManifests([{ file, text }]);
  } catch {
    return undefined;
  }
}

describe('workload rules over the shared corpora', () => {
  it('never throw, and every finding names a line of its file and an object path', () => {
    const files = [sharedData('k8s-manifests'), sharedData('lint-audit', 'k8s')].flatMap(manifests);
    let objects = 0;
    let findings = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const loaded = tryLoad(file, text);
      if (loaded === undefined) continue;
      objects += loaded.length;
      const lines = text.split('\n').length;
      for (const f of auditObjects(loaded, { rules: WORKLOAD_RULES })) {
        findings++;
        expect(f.line, `${file} ${f.ruleId}`).toBeGreaterThanOrEqual(1);
        expect(f.line, `${file} ${f.ruleId}`).toBeLessThanOrEqual(lines);
        expect(f.ruleId === 'PC-K8S-000' || f.objectPath !== '', `${file} ${f.ruleId}`).toBe(true);
      }
    }
    // The corpora are large; an empty run would mean the walk or the loader broke.
    expect(objects).toBeGreaterThan(500);
    expect(findings).toBeGreaterThan(1000);
  });
});
