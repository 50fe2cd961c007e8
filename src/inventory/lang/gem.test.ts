import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImageSource } from '../../oci/index.js';
import { imageOfFiles } from '../../testing/inventory-trees.js';
import { buildInventory } from '../inventory.js';
import { gemAnalyzer, gemFromSpecification, isInstalledGemspec, rubyLiteral } from './gem.js';

const RUBY = ['Ruby', 'BSD-2-Clause'];

// testdata/gems: the specifications Debian 12's libruby3.1 and ruby-rack install (see
// testdata/SOURCES.md), read as a root filesystem. Expected values are the file names
// (RubyGems names them NAME-VERSION.gemspec) and the `s.licenses` lines of each file.
const GEMS: readonly (readonly [string, string, readonly string[], string])[] = [
  ['bigdecimal', '3.1.1', ['Ruby'], 'default'],
  ['debug', '1.4.0', RUBY, 'bundled'],
  ['digest', '3.1.0', RUBY, 'default'],
  ['english', '0.7.1', RUBY, 'default'],
  ['json', '2.6.1', ['Ruby'], 'default'],
  ['matrix', '0.4.2', RUBY, 'bundled'],
  ['minitest', '5.15.0', ['MIT'], 'bundled'],
  ['net-ftp', '0.1.3', RUBY, 'bundled'],
  ['net-imap', '0.2.3', RUBY, 'bundled'],
  ['net-pop', '0.1.1', RUBY, 'bundled'],
  ['net-smtp', '0.3.1', RUBY, 'bundled'],
  ['power_assert', '2.0.1', ['BSD-2-Clause', 'Ruby'], 'bundled'],
  ['prime', '0.1.2', RUBY, 'bundled'],
  ['rack', '2.2.22', ['MIT'], 'debian'],
  ['rake', '13.0.6', ['MIT'], 'bundled'],
  ['rbs', '2.1.0', ['BSD-2-Clause', 'Ruby'], 'bundled'],
  ['rdoc', '6.4.1.1', ['Ruby'], 'default'],
  ['readline', '0.0.3', ['Ruby'], 'default'],
  ['rexml', '3.2.5', ['BSD-2-Clause'], 'bundled'],
  ['rss', '0.2.9', ['BSD-2-Clause'], 'bundled'],
  ['stringio', '3.0.1.2', RUBY, 'default'],
  ['test-unit', '3.5.3', ['Ruby', 'BSDL', 'PSFL'], 'bundled'],
  ['typeprof', '0.21.2', ['MIT'], 'bundled'],
];

const SPEC_DIRS: Readonly<Record<string, string>> = {
  bundled: 'usr/lib/ruby/gems/3.1.0/specifications',
  default: 'usr/lib/ruby/gems/3.1.0/specifications/default',
  debian: 'usr/share/rubygems-integration/all/specifications',
};

describe('gemAnalyzer', () => {
  it("reports the 23 gems of Debian's Ruby 3.1 and ruby-rack with their licenses", async () => {
    const source = await openImageSource(`rootfs:${path.join(import.meta.dirname, 'testdata', 'gems')}`);
    const inv = await buildInventory(await source.open(), { analyzers: [gemAnalyzer] });
    await source.close();
    expect(inv.gaps).toEqual([]);
    expect(inv.packages.map((p) => [p.name, p.version, p.licenses, p.location.path, p.purl])).toEqual(
      GEMS.map(([name, version, licenses, where]) => [
        name,
        version,
        licenses,
        `${SPEC_DIRS[where] ?? ''}/${name}-${version}.gemspec`,
        `pkg:gem/${name}@${version}`,
      ]),
    );
  });

  it('makes specifications it cannot read gaps, and ignores gemspecs outside specifications/', async () => {
    const spec = (body: string): string => `Gem::Specification.new do |s|\n${body}\nend\n`;
    const inv = await buildInventory(
      await imageOfFiles({
        'gems/specifications/computed-1.0.gemspec': spec(
          '  s.name = "computed"\n  s.version = Computed::VERSION',
        ),
        'gems/specifications/noname-1.0.gemspec': spec('  s.version = "1.0"'),
        'gems/specifications/plain.gemspec': 'puts "hello"\n',
        'gems/specifications/ok-1.0.gemspec': spec('  s.name = "ok"\n  s.version = "1.0"'),
        'gems/gems/ok-1.0/ok.gemspec': spec('  s.name = "source-copy"\n  s.version = "1.0"'),
      }),
      { analyzers: [gemAnalyzer] },
    );
    expect(inv.packages.map((p) => p.name)).toEqual(['ok']);
    expect(inv.gaps.map((g) => [g.path, g.reason])).toEqual([
      ['gems/specifications/computed-1.0.gemspec', 's.version is not a literal: Computed::VERSION'],
      ['gems/specifications/noname-1.0.gemspec', 'no valid s.name (undefined)'],
      ['gems/specifications/plain.gemspec', 'no "Gem::Specification.new do |s|" block'],
    ]);
  });
});

describe('gemFromSpecification', () => {
  it.each([
    [
      'a block variable other than s, a single license and single quotes',
      "Gem::Specification.new do |spec|\n  spec.name = 'my_gem'\n  spec.version = '0.1.0.pre'\n  spec.license = 'Apache-2.0'\nend",
      { name: 'my_gem', version: '0.1.0.pre', licenses: ['Apache-2.0'] },
    ],
    [
      'a brace block and Gem::Version.new',
      'Gem::Specification.new { |s|\n  s.name = %q<braces>\n  s.version = Gem::Version.new("2.0")\n}',
      { name: 'braces', version: '2.0', licenses: [] },
    ],
    [
      'escapes in licenses, the first assignment winning',
      'Gem::Specification.new do |s|\n  s.name = "x"\n  s.name = "y"\n  s.version = "1"\n  s.licenses = ["caf\\u00E9".freeze, "MIT"]\nend',
      { name: 'x', version: '1', licenses: ['café', 'MIT'] },
    ],
  ])('reads %s', (_name, text, expected) => {
    expect(gemFromSpecification(text)).toEqual(expected);
  });

  it.each([
    [
      'interpolation',
      'Gem::Specification.new do |s|\n  s.name = "a#{b}"\n  s.version = "1"\nend',
      's.name is not a literal: "a#{b}"',
    ],
    [
      'a name with a space',
      'Gem::Specification.new do |s|\n  s.name = "a b"\n  s.version = "1"\nend',
      'no valid s.name (a b)',
    ],
    [
      'a version with a space',
      'Gem::Specification.new do |s|\n  s.name = "a"\n  s.version = "1 2"\nend',
      'no valid s.version for a',
    ],
    [
      'an unterminated string',
      'Gem::Specification.new do |s|\n  s.name = "a\n  s.version = "1"\nend',
      's.name is not a literal: "a',
    ],
  ])('refuses %s', (_name, text, reason) => {
    expect(gemFromSpecification(text)).toBe(reason);
  });
});

describe('rubyLiteral', () => {
  it.each([
    ['"plain"', 'plain'],
    ['"frozen".freeze', 'frozen'],
    ["'single \\' quote'", "single ' quote"],
    ['"tab\\tand \\x41 \\u{1F600}"', 'tab\tand A 😀'],
    ['%q{curly}', 'curly'],
    ['["a".freeze, \'b\' , %q<c>]', ['a', 'b', 'c']],
    ['[]', []],
    ['Foo::VERSION', undefined],
    ['["a", b]', undefined],
    ['"unterminated', undefined],
  ])('reads %s', (source, value) => {
    expect(rubyLiteral(source)).toEqual(value);
  });
});

describe('isInstalledGemspec', () => {
  it.each([
    ['usr/local/bundle/specifications/rails-7.1.0.gemspec', true],
    ['usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec', true],
    ['app/vendor/bundle/ruby/3.2.0/specifications/puma-6.4.0.gemspec', true],
    ['usr/lib/ruby/gems/3.1.0/gems/rake-13.0.6/rake.gemspec', false],
    ['usr/lib/ruby/gems/3.1.0/specifications/other/x.gemspec', false],
    ['usr/lib/ruby/gems/3.1.0/specifications/x.gemspec.bak', false],
  ])('%s is an installed gem specification: %s', (p, expected) => {
    expect(isInstalledGemspec(p)).toBe(expected);
  });
});
