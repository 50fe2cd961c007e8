import { describe, expect, it } from 'vitest';
import type { Digest } from '../core/index.js';
import type { Package } from '../inventory/index.js';
import { splitBaseImageFindings } from './base-image.js';
import type { Finding } from './types.js';

const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}` as Digest;

function finding(id: string, layerIndex: number): Finding {
  const pkg: Package = {
    type: 'deb',
    name: `pkg${layerIndex}`,
    version: '1',
    purl: `pkg:deb/debian/pkg${layerIndex}@1`,
    licenses: [],
    location: { path: 'var/lib/dpkg/status', layerIndex, diffID: D(layerIndex), createdBy: undefined },
  };
  return {
    id,
    aliases: [],
    package: pkg,
    installedVersion: '1',
    fixedVersion: undefined,
    status: 'affected',
    rawStatus: undefined,
    severity: 'high',
    severitySource: 'none',
    cvssScore: undefined,
    cvssVector: undefined,
    title: undefined,
    description: undefined,
    references: [],
    ecosystem: 'Debian:12',
    recordIds: [id],
    published: undefined,
    modified: undefined,
  };
}

const image = [D(0), D(1), D(2)];
const findings = [finding('CVE-A', 0), finding('CVE-B', 1), finding('CVE-C', 2)];

describe('splitBaseImageFindings', () => {
  it('excludes findings in the layers the base image contributed', () => {
    const r = splitBaseImageFindings(findings, image, [D(0), D(1)]);
    expect(r.baseLayers).toBe(2);
    expect(r.kept.map((f) => f.id)).toEqual(['CVE-C']);
    expect(r.excluded.map((f) => f.id)).toEqual(['CVE-A', 'CVE-B']);
  });

  it.each([
    ['not a prefix', [D(1)]],
    ['longer than the image', [D(0), D(1), D(2), D(3)]],
    ['empty', []],
    ['diverging', [D(0), D(9)]],
  ])('excludes nothing when the base layers are %s', (_what, base) => {
    const r = splitBaseImageFindings(findings, image, base);
    expect(r.baseLayers).toBe(0);
    expect(r.kept).toHaveLength(3);
  });
});
