import { isSuccess, paths, putManifest, remove, uploadBlob, type Suite } from './context.js';

// The Pull workflow (Go suite conformance/01_pull_test.go): a tagged manifest and one by
// digest are put in place, then blobs and manifests are read with HEAD and GET, missing ones
// answer 404, and a malformed reference answers 404 or 400 with a spec error body.

const OCI_ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
];

/** The error codes the spec defines, for checking error bodies. */
export const SPEC_ERROR_CODES: readonly string[] = OCI_ERROR_CODES;

/** Registers the Pull workflow. */
export function registerPull(suite: Suite): void {
  const { expect } = suite.api;
  const d = suite.data;
  const p = () => paths(suite.target().namespace);
  const get = (method: string, path: string, accept?: string) =>
    suite.client().request(method, path, accept === undefined ? {} : { headers: { accept } });
  const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

  suite.context('Pull', () => {
    suite.context('Setup', () => {
      suite.spec('Populate registry with test blob', async () => {
        expect(isSuccess((await uploadBlob(suite, d.configs[0] ?? d.layer)).status)).toBe(true);
        expect(isSuccess((await uploadBlob(suite, d.configs[1] ?? d.layer)).status)).toBe(true);
      });
      suite.spec('Populate registry with test layer', async () => {
        expect(isSuccess((await uploadBlob(suite, d.layer)).status)).toBe(true);
      });
      suite.spec('Populate registry with test manifest', async () => {
        const m0 = d.manifests[0] ?? d.layer;
        const m1 = d.manifests[1] ?? d.layer;
        expect(isSuccess((await putManifest(suite, d.tagName, m0)).status)).toBe(true);
        expect(isSuccess((await putManifest(suite, m1.digest, m1)).status)).toBe(true);
      });
    });

    suite.context('Pull blobs', () => {
      suite.spec('HEAD request to nonexistent blob should result in 404 response', async () => {
        expect((await get('HEAD', p().blob(d.dummyDigest))).status).toBe(404);
      });
      suite.spec('HEAD request to existing blob should yield 200', async () => {
        const config = d.configs[0] ?? d.layer;
        const res = await get('HEAD', p().blob(config.digest));
        expect(res.status).toBe(200);
        const h = res.header('docker-content-digest');
        if (h !== undefined && h !== '') expect(h).toBe(config.digest);
      });
      suite.spec('GET nonexistent blob should result in 404 response', async () => {
        expect((await get('GET', p().blob(d.dummyDigest))).status).toBe(404);
      });
      suite.spec('GET request to existing blob URL should yield 200', async () => {
        const config = d.configs[0] ?? d.layer;
        const res = await get('GET', p().blob(config.digest));
        expect(res.status).toBe(200);
        // Not in the Go check, which stops at the status: the bytes must be the blob's.
        expect(res.body.equals(config.content)).toBe(true);
      });
    });

    suite.context('Pull manifests', () => {
      suite.spec('HEAD request to nonexistent manifest should return 404', async () => {
        expect((await get('HEAD', p().manifest(d.nonexistentManifest))).status).toBe(404);
      });
      for (const i of [0, 1]) {
        suite.spec(`HEAD request to manifest[${i}] path (digest) should yield 200 response`, async () => {
          const m = d.manifests[i] ?? d.layer;
          const res = await get('HEAD', p().manifest(m.digest), ociManifest);
          expect(res.status).toBe(200);
          const h = res.header('docker-content-digest');
          if (h !== undefined && h !== '') expect(h).toBe(m.digest);
        });
      }
      suite.spec('HEAD request to manifest path (tag) should yield 200 response', async () => {
        const res = await get('HEAD', p().manifest(d.tagName), ociManifest);
        expect(res.status).toBe(200);
        const h = res.header('docker-content-digest');
        if (h !== undefined && h !== '') expect(h).toBe(d.manifests[0]?.digest);
      });
      suite.spec('GET nonexistent manifest should return 404', async () => {
        expect((await get('GET', p().manifest(d.nonexistentManifest))).status).toBe(404);
      });
      for (const i of [0, 1]) {
        suite.spec(`GET request to manifest[${i}] path (digest) should yield 200 response`, async () => {
          const m = d.manifests[i] ?? d.layer;
          const res = await get('GET', p().manifest(m.digest), ociManifest);
          expect(res.status).toBe(200);
          expect(res.body.equals(m.content)).toBe(true);
        });
      }
      suite.spec('GET request to manifest path (tag) should yield 200 response', async () => {
        const res = await get('GET', p().manifest(d.tagName), ociManifest);
        expect(res.status).toBe(200);
        expect(res.body.equals(d.manifests[0]?.content ?? Buffer.alloc(0))).toBe(true);
      });
    });

    suite.context('Error codes', () => {
      suite.spec('400 response body should contain OCI-conforming JSON message', async () => {
        const res = await suite.client().request('GET', p().manifest('sha256:totallywrong'), {
          headers: { 'content-type': ociManifest },
          body: d.invalidManifestContent,
        });
        expect([400, 404]).toContain(res.status);
        if (res.status === 400) {
          const body = res.json() as { errors?: { code?: string }[] };
          expect(body.errors?.length ?? 0).toBeGreaterThan(0);
          expect(SPEC_ERROR_CODES).toContain(body.errors?.[0]?.code);
        }
      });
    });

    suite.context('Teardown', () => {
      // OCI_DELETE_MANIFEST_BEFORE_BLOBS defaults to true: manifests go first.
      for (const i of [0, 1]) {
        suite.spec(`Delete manifest[${i}] created in setup`, async () => {
          const res = await remove(suite, p().manifest(d.manifests[i]?.digest ?? ''));
          expect(isSuccess(res.status) || res.status === 405).toBe(true);
        });
      }
      for (const i of [0, 1]) {
        suite.spec(`Delete config[${i}] blob created in setup`, async () => {
          const res = await remove(suite, p().blob(d.configs[i]?.digest ?? ''));
          expect(isSuccess(res.status) || [404, 405].includes(res.status)).toBe(true);
        });
      }
      suite.spec('Delete layer blob created in setup', async () => {
        const res = await remove(suite, p().blob(d.layer.digest));
        expect(isSuccess(res.status) || [404, 405].includes(res.status)).toBe(true);
      });
    });
  });
}
