// Reads every layer of an image through the layer reader, as an analyzer-driven scan would:
// all entries' metadata kept, only a few wanted files buffered.
import { openImageSource, readImageFiles } from '../src/oci/index.js';
import { reportSubject } from './harness.js';

const target = process.argv[2];
if (target === undefined) throw new Error('usage: layer-reader.subject.js <target>');
const WANTED = new Set(['var/lib/dpkg/status', 'etc/os-release', 'usr/lib/os-release', 'etc/debian_version']);

const start = process.hrtime.bigint();
const source = await openImageSource(target, {
  registry: () => {
    throw new Error('the benchmark reads local images only');
  },
});
const image = await source.open();
const tree = await readImageFiles(image, { want: (p) => WANTED.has(p) });
const status = tree.readFile('var/lib/dpkg/status');
await source.close();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (status === undefined || tree.entries().length < 1000) throw new Error('the reader did not see the image');
reportSubject(ms);
