// buildInventory with a layer cache: a warm run lists exactly what a cold run lists, without
// opening a layer, and the analyzers' summaries (Go, cargo-auditable, Java) survive the cache.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayerCache, openImageSource, type LayeredImage } from '../../oci/index.js';
import { debianFixture } from '../../testing/fixtures.js';
import { makeImage, makeTar } from '../../testing/layer-images.js';
import type { GoBinarySummary } from '../binary/gobuildinfo.js';
import type { CargoSummary } from '../binary/cargo.js';
import type { JavaSummary } from '../binary/java.js';
import { buildInventory } from '../inventory.js';
import type { Analyzer } from '../types.js';
import { Summaries, summariesCodec } from './summaries.js';

const noRegistry = () => {
  throw new Error('this test reads local images only');
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-inventory-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** JSON of a summary; "none" for undefined (which JSON.stringify returns undefined for). */
function show(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}

function counted(image: LayeredImage): { image: LayeredImage; opens: number[] } {
  const opens = image.layers.map(() => 0);
  return {
    opens,
    image: {
      ...image,
      layers: image.layers.map((l, i) => ({
        ...l,
        open: () => {
          opens[i] = (opens[i] ?? 0) + 1;
          return l.open();
        },
      })),
    },
  };
}

async function debian(): Promise<LayeredImage> {
  const { layout } = debianFixture();
  const source = await openImageSource(`oci:${layout}:bookworm`, { registry: noRegistry });
  const image = await source.open();
  await source.close();
  if (image.kind !== 'layered') throw new Error('expected a layered image');
  return image;
}

describe('buildInventory with a layer cache', () => {
  it('lists the same Debian 12 inventory warm as cold, opening no layer', async () => {
    const layerCache = new LayerCache({ dir: path.join(dir, 'debian') });
    const plain = await buildInventory(await debian());
    expect(plain.packages.length).toBeGreaterThan(50);
    const cold = counted(await debian());
    expect(await buildInventory(cold.image, { layerCache, cacheKey: 'test' })).toEqual(plain);
    const warm = counted(await debian());
    expect(await buildInventory(warm.image, { layerCache, cacheKey: 'test' })).toEqual(plain);
    expect(warm.opens.every((n) => n === 0)).toBe(true);

    const other = counted(await debian());
    await buildInventory(other.image, { layerCache, cacheKey: 'other' });
    expect(other.opens.every((n) => n === 1)).toBe(true);
  });

  it('replays summaries and reducer failures from the cache', async () => {
    const layerCache = new LayerCache({ dir: path.join(dir, 'summaries') });
    const tar = await makeTar([
      { name: 'bin/a', content: 'aaaa', mode: 0o755 },
      { name: 'bin/b', content: 'bbbb', mode: 0o755 },
    ]);
    const summarizing = (id: string, reduce: (path: string, content: Buffer) => unknown): Analyzer => ({
      id,
      summarize: (p) => (content) => reduce(p, content),
      analyze: (ctx) => ({
        packages: [],
        warnings: ctx.paths.map((p) => `${p}=${show(ctx.summary(p))}`),
      }),
    });
    const analyzers = [
      summarizing('shape', (_p, c) => ({ kind: 'go', info: { goVersion: c.toString(), path: undefined } })),
      summarizing('picky', (p) => {
        if (p === 'bin/b') throw new Error('no b');
        return undefined;
      }),
    ];
    const plain = await buildInventory(makeImage([{ tar }]).image, { analyzers });
    expect(plain.warnings).toContain('picky: could not summarize bin/b: no b');
    await buildInventory(makeImage([{ tar }]).image, { analyzers, layerCache });
    const warm = makeImage([{ tar }]);
    expect(await buildInventory(warm.image, { analyzers, layerCache })).toEqual(plain);
    expect(warm.log.opens).toEqual([0]);
  });

  it('encodes the Go, cargo-auditable and Java summaries as JSON data', () => {
    const go: GoBinarySummary = {
      kind: 'go',
      info: {
        goVersion: 'go1.22.1',
        path: 'example.com/hello',
        main: { path: 'example.com/hello', version: '(devel)' },
        deps: [
          {
            path: 'example.com/local',
            version: 'v0.0.0',
            replace: { path: './local', version: '' },
          },
        ],
        settings: { GOOS: 'linux', '-ldflags': '-s' },
      },
    };
    const cargo: CargoSummary = {
      kind: 'cargo',
      crates: [{ name: 'serde', version: '1.0.0', source: 'crates.io', root: false }],
      buildOnly: 2,
    };
    const java: JavaSummary = {
      artifacts: [
        {
          groupId: undefined,
          artifactId: 'a',
          version: '1',
          source: 'MANIFEST.MF',
          nested: 'WEB-INF/lib/a.jar',
        },
      ],
      problems: ['x'],
    };
    const failures: string[] = [];
    const codec = summariesCodec((id, p, err) => failures.push(`${id} ${p} ${String(err)}`));
    const s = new Summaries([
      ['go-binary', go],
      ['rust-binary', cargo],
      ['java-archive', java],
      ['none', undefined],
    ]);
    s.failures.push(['bad', 'boom']);
    const back = codec.decode(JSON.parse(JSON.stringify(codec.encode(s))), 'usr/bin/x');
    expect(back).toBeInstanceOf(Summaries);
    expect([...(back as Summaries)]).toEqual([...s]);
    expect((back as Summaries).has('none')).toBe(true);
    expect(failures).toEqual(['bad usr/bin/x boom']);
    expect(() => codec.encode(new Summaries([['m', new Map()]]))).toThrow();
  });
});
