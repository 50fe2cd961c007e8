// The whole `portcullis sbom` job on a local image: read every layer, run every analyzer,
// write CycloneDX JSON (kept in memory; writing it out is not what is measured).
import { buildInventory } from '../src/inventory/index.js';
import { openImageSource } from '../src/oci/index.js';
import { imageSubject, toCycloneDx } from '../src/sbom/index.js';
import { reportSubject } from './harness.js';

const target = process.argv[2];
if (target === undefined) throw new Error('usage: sbom.subject.js <target>');

const start = process.hrtime.bigint();
const source = await openImageSource(target, {
  registry: () => {
    throw new Error('the benchmark reads local images only');
  },
});
const image = await source.open();
const inventory = await buildInventory(image);
const text = JSON.stringify(
  toCycloneDx({ image: imageSubject(image), inventory, tool: { name: 'portcullis', version: 'bench' } }),
);
await source.close();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (inventory.packages.length < 50 || text.length < 10_000) throw new Error('the SBOM is missing packages');
reportSubject(ms);
