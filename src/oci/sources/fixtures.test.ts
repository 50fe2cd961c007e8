import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/index.js';
import type { PlatformSpec } from '../platform.js';
import { openImageSource } from './target.js';
import { sharedData } from '../../testing/fixtures.js';
import { listTree, readAll, tempDir } from '../../testing/source-helpers.js';

// Every image in ../shared/data/image-fixtures (see SOURCES.md there for provenance), one row
// per way we open it: either it opens with the expected config digest and layer count and every
// layer streams and verifies, or it fails with the expected code.

const AMD64: PlatformSpec = { os: 'linux', architecture: 'amd64' };

type Row = {
  /** Target with `$F` standing for the fixtures directory. */
  readonly target: string;
  /** The fixture file (or layout directory) the row exercises, relative to the fixtures directory. */
  readonly fixture: string;
  readonly platform?: PlatformSpec;
} & (
  | {
      readonly config: string;
      readonly layers: number;
      /** Manifest digest; undefined for images without a stored manifest (legacy docker save). */
      readonly digest: string | undefined;
      readonly indexDigest?: string;
      readonly arch?: string;
      /** Layer digests equal the diffIDs (uncompressed layers). */
      readonly uncompressed?: boolean;
    }
  | { readonly code: string; readonly message: RegExp }
);

const sha = (hex: string): string => `sha256:${hex}`;

const ROWS: Row[] = [
  // go-containerregistry
  {
    fixture: 'ggcr/hello-world-v25.tar',
    target: 'docker-archive:$F/ggcr/hello-world-v25.tar',
    config: sha('ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44'),
    layers: 1,
    digest: undefined,
    arch: 'arm64',
    uncompressed: true,
  },
  {
    fixture: 'ggcr/hello-world-v25.tar',
    target: 'oci-archive:$F/ggcr/hello-world-v25.tar',
    code: 'MANIFEST_UNKNOWN',
    message: /holds no images \(its index\.json lists no manifests\)/,
  },
  {
    fixture: 'ggcr/overwritten_file.tar',
    target: 'docker-archive:$F/ggcr/overwritten_file.tar',
    config: sha('68f6eb746cdb287658796ba120849bb77be87040a155fbefb89c96f109c0703a'),
    layers: 3,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'ggcr/test_bundle.tar',
    target: 'docker-archive:$F/ggcr/test_bundle.tar',
    code: 'TARGET_INVALID',
    message: /holds 2 images; .*@0 \(test_image_2\), @1 \(test_image_1\)/,
  },
  {
    fixture: 'ggcr/test_bundle.tar',
    target: 'docker-archive:$F/ggcr/test_bundle.tar@0',
    config: sha('930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fdd66b8c7fe9'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'ggcr/test_bundle.tar',
    target: 'docker-archive:$F/ggcr/test_bundle.tar:test_image_1',
    config: sha('6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'ggcr/test_bundle.tar',
    target: 'docker-archive:$F/ggcr/test_bundle.tar:nope:1',
    code: 'MANIFEST_UNKNOWN',
    message: /has no image tagged nope:1/,
  },
  {
    fixture: 'ggcr/test_image_1.tar',
    target: 'docker-archive:$F/ggcr/test_image_1.tar',
    config: sha('6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'ggcr/test_image_1.tar',
    target: 'oci-archive:$F/ggcr/test_image_1.tar',
    code: 'ARCHIVE_INVALID',
    message: /no oci-layout file; .*use docker-archive:/,
  },
  // Its first layer.tar is a symlink to another image's layer.tar.
  {
    fixture: 'ggcr/test_link.tar',
    target: 'docker-archive:$F/ggcr/test_link.tar:bazel/v1/tarball:test_image_3',
    config: sha('d4c9adacde69c3d92446e0484cea29493e9fd573cf0c8febfc700d80c46697a4'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  // gzip layers named <hex>.tar.gz outside blobs/: their digests are computed.
  {
    fixture: 'ggcr/whiteout_dir.tar',
    target: 'docker-archive:$F/ggcr/whiteout_dir.tar',
    config: sha('92f1e3d53acdc7e137e73869abc4e87aba6614440a31723423790ca0d5db9111'),
    layers: 4,
    digest: undefined,
  },
  {
    fixture: 'ggcr/whiteout_image.tar',
    target: 'docker-archive:$F/ggcr/whiteout_image.tar',
    config: sha('decb630649c3e1256345d416b228d6c3ceb387a55120ad44dc3ec992976d28b9'),
    layers: 3,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index',
    code: 'TARGET_INVALID',
    message: /holds 4 images; .*tags: 1, 2, 3, 4/,
  },
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index:1',
    config: sha('6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e'),
    layers: 1,
    digest: sha('eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650'),
  },
  // Listed with media type application/vnd.oci.descriptor.v1+json; the document's own type decides.
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index:2',
    config: sha('930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fdd66b8c7fe9'),
    layers: 1,
    digest: sha('32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720'),
  },
  // Nested indexes whose only entry carries no platform: that image is taken (its config says amd64).
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index:3',
    config: sha('6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e'),
    layers: 1,
    digest: sha('eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650'),
    indexDigest: sha('05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5'),
  },
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index:4',
    config: sha('6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e'),
    layers: 1,
    digest: sha('eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650'),
    indexDigest: sha('2b29a2b8dea3af91ea7d0154be1da0c92d55ddd098540930fc8d3db7de377fdb'),
  },
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index:3',
    platform: { os: 'linux', architecture: 'arm64' },
    code: 'PLATFORM_NOT_FOUND',
    message: /linux\/arm64.*offers: linux\/amd64/,
  },
  {
    fixture: 'ggcr/layout/test_index',
    target: 'oci:$F/ggcr/layout/test_index:5',
    code: 'MANIFEST_UNKNOWN',
    message: /has no image tagged "5" \(available tags: 1, 2, 3, 4\)/,
  },
  {
    fixture: 'ggcr/layout/test_index_one_image',
    target: 'oci:$F/ggcr/layout/test_index_one_image',
    config: sha('381d958b555884ba59574ab5c066e9f6116b5aec3567675aa13bec63331f0810'),
    layers: 1,
    digest: sha('98ceaf93e482fe91b9bfd6bba07137c098e49ee2d55e69f09fb6c951e75e0e46'),
  },
  // osv-scalibr
  {
    fixture: 'scalibr/layerscanning/image/testdata/basic.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/basic.tar',
    config: sha('cef24537555496e574fe14473659452c20e6ae3b03bdecf5f9a76d1afe14fd1a'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/empty.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/empty.tar',
    code: 'ARCHIVE_INVALID',
    message: /is not a tar archive: it holds no entries/,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/multiple-files.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/multiple-files.tar',
    config: sha('07628f196cad63d589a8c526116636052e40b8f44a65f20414c0d275ced2b453'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/overwrite-file.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/overwrite-file.tar',
    config: sha('86ee30779ba1b3aabbd48d12bdc99a3ba275c24b9a600cef87e256c7858fb2e1'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/single-file.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/single-file.tar',
    config: sha('d81c0ab84dc25b7a853b6bd9e9bcb9ce4465bfb4d3e5099a60801738987fe9ba'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/symlink-attack.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/symlink-attack.tar',
    config: sha('486f648acb41e8fb98a935c52e091017c1be5fe8c02ad19b9262ea57545019be'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/symlink-basic.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/symlink-basic.tar',
    config: sha('2a92a3c5e77b627c59703144c52fbf1c693e9ef40b770ae03ac52f89282b6c0a'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/symlink-cycle.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/symlink-cycle.tar',
    config: sha('373315c779608a5dc71c740b2ef4d68f27c2216b5f7e0520ee15c1d084b9ada2'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/symlink-dangling.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/symlink-dangling.tar',
    config: sha('67d1cadc62112de17fda21cad21879bf6111c8561af11db6e8b4504083ecf120'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/symlink-depth-exceeded.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/symlink-depth-exceeded.tar',
    config: sha('2ef1f326cc513e92032e231de15be74c60482d9ea6833406b15a0d09f1046ad8'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/layerscanning/image/testdata/two-files.tar',
    target: 'docker-archive:$F/scalibr/layerscanning/image/testdata/two-files.tar',
    config: sha('c4931f7f128bf42aeee67fbbc3dfb2f137b979afae1ab937b5af104d04aeef35'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/unpack/testdata/basic.tar',
    target: 'docker-archive:$F/scalibr/unpack/testdata/basic.tar',
    config: sha('f3a1c7b396f625e53458889d153ef95f46b06aecd0a1ee2355269364ce2e36d3'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/unpack/testdata/dangling-symlinks.tar',
    target: 'docker-archive:$F/scalibr/unpack/testdata/dangling-symlinks.tar',
    config: sha('67d1cadc62112de17fda21cad21879bf6111c8561af11db6e8b4504083ecf120'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  // A bare layer tar with absolute names and symlink trampolines, not an image.
  {
    fixture: 'scalibr/unpack/testdata/escape.tar',
    target: 'docker-archive:$F/scalibr/unpack/testdata/escape.tar',
    code: 'ARCHIVE_INVALID',
    message: /is not a docker-archive \(docker save output\): it has no manifest\.json/,
  },
  {
    fixture: 'scalibr/unpack/testdata/permissions.tar',
    target: 'docker-archive:$F/scalibr/unpack/testdata/permissions.tar',
    config: sha('7be4ef56c97bf5e09d991272edcbda6fe16b778fbedf4072311108917ce5640b'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'scalibr/unpack/testdata/symlinks.tar',
    target: 'docker-archive:$F/scalibr/unpack/testdata/symlinks.tar',
    config: sha('3d88044e75a25013df25131326fcc2d5ca38599f880ab9bb132c8cfa554c46bb'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  // anchore/stereoscope
  {
    fixture: 'stereoscope/valid-oci.tar',
    target: 'oci-archive:$F/stereoscope/valid-oci.tar',
    config: sha('61ee19e869a529075634f762c1eb191962777e0803598758cbf076edfadfb046'),
    layers: 1,
    digest: sha('c1ed04a3da941a5dd09b58b16c37f065557863d382ef97995ddac885a8452ebb'),
  },
  {
    fixture: 'stereoscope/valid-oci.tar',
    target: 'oci-archive:$F/stereoscope/valid-oci.tar:sample:latest',
    config: sha('61ee19e869a529075634f762c1eb191962777e0803598758cbf076edfadfb046'),
    layers: 1,
    digest: sha('c1ed04a3da941a5dd09b58b16c37f065557863d382ef97995ddac885a8452ebb'),
  },
  {
    fixture: 'stereoscope/valid-oci.tar',
    target: 'docker-archive:$F/stereoscope/valid-oci.tar',
    code: 'ARCHIVE_INVALID',
    message: /no manifest\.json; .*use oci-archive:/,
  },
  {
    fixture: 'stereoscope/multiplatform_oci_dir',
    target: 'oci:$F/stereoscope/multiplatform_oci_dir:latest',
    platform: { os: 'linux', architecture: 'amd64' },
    config: sha('549248a7ac95478805d9248e4ffdc778fc2404257d8c071848746e0100e08099'),
    layers: 1,
    digest: sha('e7c26a4b4d156fd9947ee82295b7b78acf7aa54b93b8f3e4b9f608179ffb20e8'),
    indexDigest: sha('a1a8d08faa5fe3d2ccc0ba54874e39dede9a17120f883c5cb56f2fd9309067c8'),
    arch: 'amd64',
  },
  {
    fixture: 'stereoscope/multiplatform_oci_dir',
    target: 'oci:$F/stereoscope/multiplatform_oci_dir',
    platform: { os: 'linux', architecture: 'arm64' },
    config: sha('3cd6022503cef24ee80dc156bf171c8d1d588c2ea1904bcd8ef2728c36341594'),
    layers: 1,
    digest: sha('5ed07065bcbc6c52e3ad28526557d7b6833613fc79257b1a786de85e37c03b05'),
    indexDigest: sha('a1a8d08faa5fe3d2ccc0ba54874e39dede9a17120f883c5cb56f2fd9309067c8'),
    arch: 'arm64',
  },
  {
    fixture: 'stereoscope/multiplatform_oci_dir',
    target: 'oci:$F/stereoscope/multiplatform_oci_dir',
    platform: { os: 'linux', architecture: 's390x' },
    code: 'PLATFORM_NOT_FOUND',
    message: /it offers: linux\/amd64, linux\/arm64/,
  },
  // aquasecurity/trivy (fanal test data)
  {
    fixture: 'trivy-fanal/alpine-3.10.4.tar.gz',
    target: 'docker-archive:$F/trivy-fanal/alpine-3.10.4.tar.gz',
    config: sha('af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'trivy-fanal/alpine-311.tar.gz',
    target: 'docker-archive:$F/trivy-fanal/alpine-311.tar.gz:alpine:3.11',
    config: sha('a187dde48cd289ac374ad8539930628314bc581a481cdb41409c9289419ddb72'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'trivy-fanal/test.oci',
    target: 'oci:$F/trivy-fanal/test.oci',
    config: sha('b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604'),
    layers: 1,
    digest: sha('afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab'),
  },
  {
    fixture: 'trivy-fanal/test_image_tag.oci',
    target: 'oci:$F/trivy-fanal/test_image_tag.oci:0.0.1',
    config: sha('b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604'),
    layers: 1,
    digest: sha('afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab'),
  },
  {
    fixture: 'trivy-fanal/test_image_tag.oci',
    target: 'oci:$F/trivy-fanal/test_image_tag.oci:0.0.2',
    code: 'MANIFEST_UNKNOWN',
    message: /no image tagged "0\.0\.2" \(available tags: 0\.0\.1\)/,
  },
  // aquasecurity/trivy-test-images (docker save, gzip-compressed except busybox)
  {
    fixture: 'trivy-test-images/alpine-3.15.0.tar.gz',
    target: 'docker-archive:$F/trivy-test-images/alpine-3.15.0.tar.gz',
    config: sha('c059bfaa849c4d8e4aecaeb3a10c2d9b3d85f5165c66ad3a4d937758128c4d18'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  // trivy's goldens give this image's ImageID as sha256:9617696764…, which is its config digest.
  {
    fixture: 'trivy-test-images/alpine-310.tar.gz',
    target: 'docker-archive:$F/trivy-test-images/alpine-310.tar.gz',
    config: sha('961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'trivy-test-images/alpine-39.tar.gz',
    target: 'docker-archive:$F/trivy-test-images/alpine-39.tar.gz',
    config: sha('055936d3920576da37aa9bc460d70c5f212028bda1c08c0879aedf03d7a66ea1'),
    layers: 1,
    digest: undefined,
    uncompressed: true,
  },
  // Named .tar.gz but an uncompressed tar: compression is sniffed, not taken from the name.
  {
    fixture: 'trivy-test-images/busybox-with-lockfile.tar.gz',
    target: 'docker-archive:$F/trivy-test-images/busybox-with-lockfile.tar.gz',
    config: sha('17c82adee8b5ffec7d6e30dba333bb37986add86afeb4a07754407bb049faedb'),
    layers: 2,
    digest: undefined,
    uncompressed: true,
  },
  {
    fixture: 'trivy-test-images/busybox-with-lockfile.Dockerfile.txt',
    target: 'docker-archive:$F/trivy-test-images/busybox-with-lockfile.Dockerfile.txt',
    code: 'ARCHIVE_INVALID',
    message: /is not a tar archive/,
  },
];

describe('image fixtures', () => {
  const F = sharedData('image-fixtures');
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await tempDir('portcullis-fixture-cache-');
  });
  afterAll(async () => {
    // Gzip archives were decompressed under the cache directory; close() must have removed them.
    expect((await listTree(cacheDir)).filter((p) => p !== 'tmp')).toEqual([]);
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('has a row for every image fixture file and layout directory', async () => {
    const all = (await readdir(F, { recursive: true })).map(String);
    const images = new Set<string>();
    for (const p of all) {
      if (p.endsWith('/oci-layout')) images.add(path.dirname(p));
      else if (/\.(tar|tar\.gz|txt)$/.test(p) && !p.includes('/blobs/')) images.add(p);
    }
    const covered = new Set(ROWS.map((r) => r.fixture));
    expect([...images].filter((p) => !covered.has(p)).sort()).toEqual([]);
  });

  it.each(ROWS)('$target', async (row) => {
    const source = await openImageSource(row.target.replace('$F', F), {
      cacheDir,
      platform: row.platform ?? AMD64,
    });
    try {
      if ('code' in row) {
        const err: unknown = await source.open().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isPortcullisError(err) ? err.code : err).toBe(row.code);
        expect((err as Error).message).toMatch(row.message);
        return;
      }
      const image = await source.open();
      if (image.kind !== 'layered') throw new Error('expected a layered image');
      expect(image.configDigest).toBe(row.config);
      expect(image.layers).toHaveLength(row.layers);
      expect(image.digest).toBe(row.digest);
      expect(image.indexDigest).toBe(row.indexDigest);
      if (row.arch !== undefined) expect(image.platform?.architecture).toBe(row.arch);
      expect(image.reference.startsWith(row.target.replace('$F', F).split(':')[0] ?? '')).toBe(true);
      for (const layer of image.layers) {
        if (row.uncompressed === true) expect(layer.descriptor.digest).toBe(layer.diffID);
        // Reading to the end is what proves the bytes match the descriptor.
        const bytes = await readAll(await layer.open());
        expect(bytes.length).toBe(layer.descriptor.size);
      }
    } finally {
      await source.close();
    }
  });
});
