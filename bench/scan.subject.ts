// `portcullis scan`'s work on a local image: inventory (with the layer cache in DIR), matching
// against the database, the JSON report. `cold` empties DIR first (untimed); `warm` must not
// open a layer.
import { rm } from 'node:fs/promises';
import { buildInventory } from '../src/inventory/index.js';
import { LayerCache, openImageSource } from '../src/oci/index.js';
import { matchInventory, toScanJson } from '../src/scan/index.js';
import { openVulnDb } from '../src/vulndb/index.js';
import { countLayerOpens, reportSubject } from './harness.js';

const [target, dbPath, dir, mode] = process.argv.slice(2);
if (target === undefined || dbPath === undefined || dir === undefined || (mode !== 'cold' && mode !== 'warm'))
  throw new Error('usage: scan.subject.js <target> <db> <cache dir> cold|warm');
if (mode === 'cold') await rm(dir, { recursive: true, force: true });

const start = process.hrtime.bigint();
const db = openVulnDb(dbPath, { readonly: true });
const source = await openImageSource(target, {
  registry: () => {
    throw new Error('the benchmark reads local images only');
  },
});
const { image, opens } = countLayerOpens(await source.open());
const inventory = await buildInventory(image, { layerCache: new LayerCache({ dir }), cacheKey: 'bench' });
const { findings, warnings } = matchInventory(inventory, db);
const report = JSON.stringify(
  toScanJson({
    target: { name: target, reference: image.reference },
    os: inventory.os,
    results: { inventory, findings, warnings },
  }),
);
await source.close();
db.close();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (inventory.packages.length < 50 || report.length < 1000) throw new Error('the scan saw too little');
if (mode === 'warm' && opens() > 0) throw new Error(`a warm scan opened ${opens()} layers`);
reportSubject(ms);
