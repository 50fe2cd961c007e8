// `portcullis sbom`'s inventory step on a local image with a layer cache in DIR. `cold` empties
// DIR first (untimed), so the run reads every layer and fills the cache; `warm` expects every
// layer in the cache and fails if one had to be read, so it measures a second run only.
import { rm } from 'node:fs/promises';
import { buildInventory } from '../src/inventory/index.js';
import { LayerCache, openImageSource } from '../src/oci/index.js';
import { countLayerOpens, reportSubject } from './harness.js';

const [target, dir, mode] = process.argv.slice(2);
if (target === undefined || dir === undefined || (mode !== 'cold' && mode !== 'warm'))
  throw new Error('usage: inventory-cache.subject.js <target> <cache dir> cold|warm');
if (mode === 'cold') await rm(dir, { recursive: true, force: true });

const start = process.hrtime.bigint();
const source = await openImageSource(target, {
  registry: () => {
    throw new Error('the benchmark reads local images only');
  },
});
const { image, opens } = countLayerOpens(await source.open());
const inventory = await buildInventory(image, { layerCache: new LayerCache({ dir }), cacheKey: 'bench' });
await source.close();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (inventory.packages.length < 50) throw new Error('the inventory is missing packages');
if (mode === 'warm' && opens() > 0)
  throw new Error(`a warm run opened ${opens()} layers: the cache was not used`);
if (mode === 'cold' && opens() === 0) throw new Error('a cold run opened no layer');
reportSubject(ms);
