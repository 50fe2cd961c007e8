import { describe, expect, it } from 'vitest';
import { imageOfFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import { LangParseError } from './common.js';
import { composerAnalyzer, parseComposerInstalled } from './composer.js';

// Trivy's composer-vendor input and golden are checked in trivy-goldens.test.ts; these cases
// cover the two file layouts and the fields Composer varies.
describe('parseComposerInstalled', () => {
  it('reads the bare array Composer 1 writes, keeping versions exactly as written', () => {
    const text = JSON.stringify([
      {
        name: 'monolog/monolog',
        version: '1.25.1',
        version_normalized: '1.25.1.0',
        license: ['MIT'],
        type: 'library',
      },
      { name: 'symfony/polyfill-ctype', version: 'v1.12.0', license: 'MIT' },
      { name: 'acme/tool', version: 'dev-main' },
    ]);
    const { packages, problems } = parseComposerInstalled(text);
    expect(problems).toEqual([]);
    expect(packages).toEqual([
      {
        namespace: 'monolog',
        name: 'monolog',
        version: '1.25.1',
        licenses: ['MIT'],
        metadata: { versionNormalized: '1.25.1.0', packageType: 'library' },
      },
      { namespace: 'symfony', name: 'polyfill-ctype', version: 'v1.12.0', licenses: ['MIT'], metadata: {} },
      { namespace: 'acme', name: 'tool', version: 'dev-main', licenses: [], metadata: {} },
    ]);
  });

  it("reads Composer 2's object and marks its dev packages", () => {
    const text = JSON.stringify({
      packages: [
        { name: 'guzzlehttp/psr7', version: '1.8.3', license: ['MIT'] },
        { name: 'phpunit/phpunit', version: '9.5.10', license: ['BSD-3-Clause'] },
      ],
      dev: true,
      'dev-package-names': ['phpunit/phpunit'],
    });
    expect(parseComposerInstalled(text).packages.map((p) => [p.name, p.metadata?.['dev']])).toEqual([
      ['psr7', undefined],
      ['phpunit', 'true'],
    ]);
  });

  it('skips malformed entries with a problem each', () => {
    const text = JSON.stringify({
      packages: [
        { name: 'ok/ok', version: '1.0.0' },
        { name: 'no-vendor', version: '1.0.0' },
        { name: 'a/b', version: 1 },
        { name: 'a/c', version: '1 0' },
        'string',
        { name: `${'a'.repeat(100_000)}/b!`, version: '1' },
      ],
    });
    const { packages, problems } = parseComposerInstalled(text);
    expect(packages.map((p) => p.name)).toEqual(['ok']);
    expect(problems).toEqual([
      'packages[1]: invalid package name "no-vendor"',
      'packages[2]: version: Invalid input: expected string, received number',
      'packages[3]: invalid version for a/c',
      'packages[4]: Invalid input: expected object, received string',
      expect.stringMatching(/^packages\[5\]: invalid package name "a{120}…\(100003 chars\)"$/),
    ]);
  });

  it.each([
    ['text that is not JSON', '{"packages": [', /^not valid JSON/],
    ['an object without packages', '{"dev": true}', /^not a Composer installed\.json/],
    ['a number', '42', /^not a Composer installed\.json/],
  ])('refuses %s', (_name, text, reason) => {
    expect(() => parseComposerInstalled(text)).toThrow(LangParseError);
    expect(() => parseComposerInstalled(text)).toThrow(reason);
  });
});

describe('composerAnalyzer', () => {
  it('reports installed packages with vendor namespaces and gaps for broken files', async () => {
    const inv = await buildInventory(
      await imageOfFiles({
        'var/www/vendor/composer/installed.json': JSON.stringify({
          packages: [{ name: 'psr/log', version: '1.1.4', license: ['MIT'] }],
        }),
        'srv/vendor/composer/installed.json': '[',
        'srv/other/installed.json': '{}',
      }),
      { analyzers: [composerAnalyzer] },
    );
    expect(inv.packages.map((p) => [p.purl, p.location.path, p.declaredOnly])).toEqual([
      ['pkg:composer/psr/log@1.1.4', 'var/www/vendor/composer/installed.json', undefined],
    ]);
    expect(inv.gaps.map((g) => g.path)).toEqual(['srv/vendor/composer/installed.json']);
  });
});
