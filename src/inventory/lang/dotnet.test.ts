import { describe, expect, it } from 'vitest';
import { imageOfFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import { LangParseError } from './common.js';
import { dotnetAnalyzer, parseDepsJson } from './dotnet.js';

// Trivy's dotnet input and golden are checked in trivy-goldens.test.ts; these cases cover the
// library types and malformed entries.
describe('parseDepsJson', () => {
  it('reports NuGet packages only, not the projects and references beside them', () => {
    const text = JSON.stringify({
      runtimeTarget: { name: '.NETCoreApp,Version=v8.0' },
      libraries: {
        'MyApp/1.0.0': { type: 'project', serviceable: false, sha512: '' },
        'Serilog/3.1.1': {
          type: 'package',
          serviceable: true,
          sha512: 'sha512-abc==',
          path: 'serilog/3.1.1',
          hashPath: 'serilog.3.1.1.nupkg.sha512',
        },
        'System.Text.Json/8.0.0-rc.1.23419.4': { type: 'Package', sha512: 'sha512-def==' },
        'Microsoft.NETCore.App/8.0.0': { type: 'reference' },
      },
    });
    const { packages, problems } = parseDepsJson(text);
    expect(problems).toEqual([]);
    expect(packages).toEqual([
      {
        name: 'Serilog',
        version: '3.1.1',
        licenses: [],
        metadata: { sha512: 'sha512-abc==', path: 'serilog/3.1.1' },
      },
      {
        name: 'System.Text.Json',
        version: '8.0.0-rc.1.23419.4',
        licenses: [],
        metadata: { sha512: 'sha512-def==' },
      },
    ]);
  });

  it('skips libraries it cannot read, with a problem each', () => {
    const text = JSON.stringify({
      libraries: {
        NoVersion: { type: 'package' },
        'Bad Name/1.0': { type: 'package' },
        'Typeless/1.0': { sha512: '' },
        'Ok/2.0': { type: 'package' },
      },
    });
    const { packages, problems } = parseDepsJson(text);
    expect(packages.map((p) => p.name)).toEqual(['Ok']);
    expect(problems).toEqual([
      '"NoVersion" is not "Name/Version"',
      '"Bad Name/1.0" is not "Name/Version"',
      '"Typeless/1.0": type: Invalid input: expected string, received undefined',
    ]);
  });

  it.each([
    ['text that is not JSON', '{"libraries": ', /^not valid JSON/],
    ['a file without libraries', '{"targets": {}}', /^not a deps\.json: libraries/],
  ])('refuses %s', (_name, text, reason) => {
    expect(() => parseDepsJson(text)).toThrow(LangParseError);
    expect(() => parseDepsJson(text)).toThrow(reason);
  });
});

describe('dotnetAnalyzer', () => {
  it('reports packages of every deps.json with nuget purls, and broken files as gaps', async () => {
    const inv = await buildInventory(
      await imageOfFiles({
        'app/MyApp.deps.json': JSON.stringify({
          libraries: { 'Newtonsoft.Json/13.0.1': { type: 'package' } },
        }),
        'app/Broken.deps.json': 'not json',
      }),
      { analyzers: [dotnetAnalyzer] },
    );
    expect(inv.packages.map((p) => [p.purl, p.location.path])).toEqual([
      ['pkg:nuget/Newtonsoft.Json@13.0.1', 'app/MyApp.deps.json'],
    ]);
    expect(inv.gaps.map((g) => g.path)).toEqual(['app/Broken.deps.json']);
  });
});
