import { describe, expect, it } from 'vitest';
import { digestOf, type Limits } from '../../core/index.js';
import { makeImage, makeTar, rawHeader, type TarSpec } from '../../testing/layer-images.js';
import { walkImageLayers, type LayerEntry } from './index.js';

const f = (name: string, content = name, mode?: number): TarSpec =>
  mode === undefined ? { name, content } : { name, content, mode };
const d = (name: string): TarSpec => ({ name, type: 'directory' });

/** Walks an image made of these layers and returns every entry as `layer kind path`, and content seen. */
async function walk(
  layers: readonly (readonly TarSpec[])[],
  options: {
    wantContent?: (e: LayerEntry) => boolean;
    maxContentBytes?: number;
    limits?: Partial<Limits>;
  } = {},
): Promise<{
  seen: string[];
  entries: LayerEntry[];
  contents: Map<string, string>;
  warnings: readonly string[];
}> {
  const { image } = makeImage(await Promise.all(layers.map(async (l) => ({ tar: await makeTar(l) }))));
  const entries: LayerEntry[] = [];
  const contents = new Map<string, string>();
  const { warnings } = await walkImageLayers(
    image,
    (e) => {
      entries.push(e);
      if (options.wantContent?.(e) !== true) return undefined;
      return (content) => contents.set(`${e.layerIndex}:${e.path}`, content.toString());
    },
    {
      ...(options.maxContentBytes === undefined ? {} : { maxContentBytes: options.maxContentBytes }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    },
  );
  return { seen: entries.map((e) => `${e.layerIndex} ${e.kind} ${e.path}`), entries, contents, warnings };
}

describe('walkImageLayers', () => {
  it.each([
    {
      name: 'sees a file a later layer deletes with a whiteout, and the whiteout itself',
      layers: [
        [d('root/'), f('root/id_rsa', 'KEY')],
        [d('root/'), f('root/.wh.id_rsa', '')],
      ],
      seen: ['0 entry root', '0 entry root/id_rsa', '1 entry root', '1 whiteout root/id_rsa'],
    },
    {
      name: 'reports an opaque marker as the directory it hides',
      layers: [
        [d('app/'), f('app/.env', 'A=1')],
        [d('app/'), f('app/.wh..wh..opq', ''), f('app/new')],
      ],
      seen: ['0 entry app', '0 entry app/.env', '1 entry app', '1 opaque app', '1 entry app/new'],
    },
    {
      name: 'sees a file a later layer replaces in both layers',
      layers: [[f('etc/conf', 'old')], [f('etc/conf', 'new')]],
      seen: ['0 entry etc/conf', '1 entry etc/conf'],
    },
    {
      name: 'ignores AUFS bookkeeping under .wh..wh. names',
      layers: [[f('.wh..wh.plnk/123.456', 'x'), f('.wh..wh.aufs', ''), f('a')]],
      seen: ['0 entry a'],
    },
  ])('$name', async ({ layers, seen }) => {
    expect((await walk(layers)).seen).toEqual(seen);
  });

  it('keeps setuid and setgid bits, owners and sizes', async () => {
    const { entries } = await walk([
      [{ name: 'usr/bin/su', content: 'ELF', mode: 0o4755, uid: 0, gid: 0 }, f('g', 'xy', 0o2711)],
    ]);
    expect(entries.map((e) => [e.path, e.mode, e.size, e.type])).toEqual([
      ['usr/bin/su', 0o4755, 3, 'file'],
      ['g', 0o2711, 2, 'file'],
    ]);
  });

  it('names the layer by index, stored digest, diffID and created_by', async () => {
    const tar = await makeTar([f('a')]);
    const { image } = makeImage([{ tar: await makeTar([f('base')]) }, { tar, createdBy: 'RUN make' }]);
    const entries: LayerEntry[] = [];
    await walkImageLayers(image, (e) => {
      entries.push(e);
      return undefined;
    });
    expect(entries[1]).toMatchObject({
      layerIndex: 1,
      layerDigest: digestOf(tar),
      diffID: digestOf(tar),
      createdBy: 'RUN make',
    });
  });

  it('delivers content only to sinks asked for, and not above the cap', async () => {
    const { contents, warnings } = await walk(
      [[f('small', 'tiny'), f('big', 'x'.repeat(100)), f('other', 'o')]],
      {
        wantContent: (e) => e.path !== 'other',
        maxContentBytes: 10,
      },
    );
    expect([...contents]).toEqual([['0:small', 'tiny']]);
    expect(warnings.join('\n')).toMatch(/"big" not read: 100 bytes/);
  });

  it('skips entries whose paths escape the root, with a warning', async () => {
    const tar = Buffer.concat([rawHeader('../../etc/passwd', '0', 0), Buffer.alloc(1024)]);
    const { image } = makeImage([{ tar }]);
    const seen: string[] = [];
    const { warnings } = await walkImageLayers(image, (e) => {
      seen.push(e.path);
      return undefined;
    });
    expect(seen).toEqual([]);
    expect(warnings.join('\n')).toMatch(/escapes the image root/);
  });

  it('fails with LIMIT_EXCEEDED past maxEntries', async () => {
    await expect(walk([[f('a'), f('b'), f('c')]], { limits: { maxEntries: 2 } })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
  });

  it('fails with DIFFID_MISMATCH when a layer is not what the config says', async () => {
    const tar = await makeTar([f('a')]);
    const { image } = makeImage([{ tar, diffID: digestOf('something else') }]);
    await expect(walkImageLayers(image, () => undefined)).rejects.toMatchObject({ code: 'DIFFID_MISMATCH' });
  });
});
