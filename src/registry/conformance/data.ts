import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { digestOf } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';

// The suite's test content, made fresh for every run the way the Go suite's setup makes it
// (conformance/setup.go): one config and one image manifest per workflow (a random author
// makes each config unique), a small gzipped tar layer shared by all of them, random blobs
// for the streamed and chunked uploads, and for the referrers checks artifacts whose subject
// is manifest 4 (one whose subject, manifest 3, is never pushed).

/** A blob or manifest with its digest and length (as the Content-Length header carries it). */
export type TestBlob = { readonly content: Buffer; readonly digest: string; readonly length: string };

/** The blob for chunked uploads, cut in two chunks with their `Content-Range` values. */
export type ChunkedBlob = TestBlob & {
  readonly chunk1: Buffer;
  readonly chunk2: Buffer;
  readonly chunk1Range: string;
  readonly chunk2Range: string;
};

/** Everything the checks push and look for. */
export type ConformanceData = {
  /** One per workflow: pull, push, content discovery, content management, referrers subject. */
  readonly configs: readonly TestBlob[];
  /** Image manifests, manifest i referring to config i and the layer. */
  readonly manifests: readonly TestBlob[];
  readonly layer: TestBlob;
  /** The blob uploaded in one PATCH (streamed). */
  readonly blobA: TestBlob;
  /** Rebuilt larger when the registry asks for a minimum chunk length. */
  chunked: ChunkedBlob;
  readonly emptyJson: TestBlob;
  readonly emptyLayerManifest: TestBlob;
  readonly refBlobA: TestBlob;
  readonly refBlobB: TestBlob;
  readonly artifactTypeA: string;
  readonly artifactTypeB: string;
  readonly artifactTypeIndex: string;
  readonly annotationKey: string;
  /** Expected annotation value of each referrer of manifest 4, by digest. */
  readonly annotationValues: ReadonlyMap<string, string>;
  /** Artifacts with manifest 4 as subject: config type A/B, artifactType A/B, and an index. */
  readonly refsConfigA: TestBlob;
  readonly refsLayerA: TestBlob;
  readonly refsConfigB: TestBlob;
  readonly refsLayerB: TestBlob;
  readonly refsIndex: TestBlob;
  /** An artifact whose subject (manifest 3) is not pushed before it: a dangling subject. */
  readonly refsDangling: TestBlob;
  /** Artifacts without a subject, for the OCI 1.1 manifest-upload checks of the push workflow. */
  readonly configTypeArtifact: TestBlob;
  readonly artifactTypeArtifact: TestBlob;
  /** A digest of content never pushed. */
  readonly dummyDigest: string;
  /** A reference that is neither a valid tag nor a digest. */
  readonly nonexistentManifest: string;
  readonly invalidManifestContent: Buffer;
  readonly tagName: string;
  readonly emptyLayerTag: string;
};

function blobOf(content: Buffer): TestBlob {
  return { content, digest: digestOf(content), length: String(content.length) };
}

/** Go's json.MarshalIndent(v, "", "\t") is what the suite sends; the bytes are what count. */
function jsonBlob(value: unknown): TestBlob {
  return blobOf(Buffer.from(JSON.stringify(value, undefined, '\t')));
}

function descriptor(mediaType: string, blob: TestBlob): Record<string, unknown> {
  return { mediaType, digest: blob.digest, size: blob.content.length };
}

/** A one-file ustar archive, gzipped: a real layer, small enough to push in one request. */
function tinyLayer(): Buffer {
  const content = Buffer.from('portcullis conformance layer\n');
  const header = Buffer.alloc(512);
  header.write('conformance.txt', 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return gzipSync(Buffer.concat([header, padded, Buffer.alloc(1024)]));
}

/** Makes the chunked-upload blob of `size` bytes, cut just after its middle. */
export function makeChunkedBlob(size: number): ChunkedBlob {
  const blob = blobOf(randomBytes(size));
  const cut = Math.floor(size / 2) + 1;
  return {
    ...blob,
    chunk1: blob.content.subarray(0, cut),
    chunk2: blob.content.subarray(cut),
    chunk1Range: `0-${cut - 1}`,
    chunk2Range: `${cut}-${size - 1}`,
  };
}

function randomAuthor(): string {
  return randomBytes(12).toString('base64url');
}

/** Makes a fresh set of test content. */
export function makeConformanceData(): ConformanceData {
  const layer = blobOf(tinyLayer());
  const configs: TestBlob[] = [];
  const manifests: TestBlob[] = [];
  // Five workflows in the Go suite's numbering; 4 is the subject of the referrers checks.
  for (let i = 0; i < 5; i++) {
    configs.push(
      jsonBlob({
        author: randomAuthor(),
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
  }
  for (const config of configs) {
    manifests.push(
      jsonBlob({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: {
          ...descriptor(MediaType.ociConfig, config),
          // The descriptor's data field must hold the content; an unknown field must be kept.
          data: config.content.toString('base64'),
          newUnspecifiedField: Buffer.from('hello world').toString('base64'),
        },
        layers: [descriptor(MediaType.ociLayerGzip, layer)],
      }),
    );
  }
  const config1 = configs[1] ?? blobOf(Buffer.from('{}'));
  const emptyLayerManifest = jsonBlob({
    schemaVersion: 2,
    config: {
      ...descriptor(MediaType.ociConfig, config1),
      data: config1.content.toString('base64'),
      newUnspecifiedField: Buffer.from('hello world').toString('base64'),
    },
    layers: [],
  });
  const emptyJson = blobOf(Buffer.from('{}'));
  const refBlobA = blobOf(Buffer.from(`conformance referrer blob A ${randomAuthor()}`));
  const refBlobB = blobOf(Buffer.from(`conformance referrer blob B ${randomAuthor()}`));
  const artifactTypeA = 'application/vnd.portcullis.conformance.a';
  const artifactTypeB = 'application/vnd.portcullis.conformance.b';
  const artifactTypeIndex = 'application/vnd.portcullis.conformance.index';
  const annotationKey = 'org.opencontainers.conformance.test';
  const annotationValues = new Map<string, string>();
  const manifest4 = manifests[4] ?? layer;
  const manifest3 = manifests[3] ?? layer;
  const subject4 = descriptor(MediaType.ociManifest, manifest4);
  const configArtifact = (type: string, blob: TestBlob, subject: unknown, note: string | undefined) =>
    jsonBlob({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptor(type, blob),
      layers: [descriptor(MediaType.ociEmpty, emptyJson)],
      ...(subject === undefined ? {} : { subject }),
      ...(note === undefined ? {} : { annotations: { [annotationKey]: note } }),
    });
  const layerArtifact = (type: string, blob: TestBlob, subject: unknown, note: string | undefined) =>
    jsonBlob({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: type,
      config: descriptor(MediaType.ociEmpty, emptyJson),
      layers: [descriptor(type, blob)],
      ...(subject === undefined ? {} : { subject }),
      ...(note === undefined ? {} : { annotations: { [annotationKey]: note } }),
    });
  const refsConfigA = configArtifact(artifactTypeA, refBlobA, subject4, 'test config a');
  const refsConfigB = configArtifact(artifactTypeB, refBlobB, subject4, 'test config b');
  const refsLayerA = layerArtifact(artifactTypeA, refBlobA, subject4, 'test layer a');
  const refsLayerB = layerArtifact(artifactTypeB, refBlobB, subject4, 'test layer b');
  const refsDangling = layerArtifact(
    artifactTypeB,
    refBlobB,
    descriptor(MediaType.ociManifest, manifest3),
    undefined,
  );
  const refsIndex = jsonBlob({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    artifactType: artifactTypeIndex,
    manifests: [
      descriptor(MediaType.ociManifest, refsConfigA),
      descriptor(MediaType.ociManifest, refsLayerA),
    ],
    subject: subject4,
    annotations: { [annotationKey]: 'test index' },
  });
  annotationValues.set(refsConfigA.digest, 'test config a');
  annotationValues.set(refsConfigB.digest, 'test config b');
  annotationValues.set(refsLayerA.digest, 'test layer a');
  annotationValues.set(refsLayerB.digest, 'test layer b');
  annotationValues.set(refsIndex.digest, 'test index');
  return {
    configs,
    manifests,
    layer,
    blobA: blobOf(randomBytes(42)),
    chunked: makeChunkedBlob(42),
    emptyJson,
    emptyLayerManifest,
    refBlobA,
    refBlobB,
    artifactTypeA,
    artifactTypeB,
    artifactTypeIndex,
    annotationKey,
    annotationValues,
    refsConfigA,
    refsLayerA,
    refsConfigB,
    refsLayerB,
    refsIndex,
    refsDangling,
    configTypeArtifact: configArtifact(artifactTypeA, refBlobA, undefined, undefined),
    artifactTypeArtifact: layerArtifact(artifactTypeA, refBlobA, undefined, undefined),
    dummyDigest: digestOf('hello world'),
    nonexistentManifest: '.INVALID_MANIFEST_NAME',
    invalidManifestContent: Buffer.from('blablabla'),
    tagName: 'tagtest0',
    emptyLayerTag: 'emptylayer',
  };
}
