import { SPEC_ERROR_CODES } from './pull.js';
import { isSuccess, paths, putManifest, tagsOf, uploadBlob, type Suite } from './context.js';

// The Content Management workflow (Go suite conformance/04_management_test.go): a tag is
// deleted (or refused with UNSUPPORTED), the manifest is deleted by digest, the tag list
// shrinks, and deleted blobs answer 404.

/** Registers the Content Management workflow. */
export function registerContentManagement(suite: Suite): void {
  const { expect } = suite.api;
  const d = suite.data;
  const p = () => paths(suite.target().namespace);
  const config3 = () => d.configs[3] ?? d.layer;
  const manifest3 = () => d.manifests[3] ?? d.layer;
  let numTags = 0;
  let blobDeleteAllowed = true;

  suite.context('Content Management', () => {
    suite.context('Setup', () => {
      suite.spec('Populate registry with test config blob', async () => {
        expect(isSuccess((await uploadBlob(suite, config3())).status)).toBe(true);
      });
      suite.spec('Populate registry with test layer', async () => {
        expect(isSuccess((await uploadBlob(suite, d.layer)).status)).toBe(true);
      });
      suite.spec('Populate registry with test tag', async () => {
        expect(isSuccess((await putManifest(suite, d.tagName, manifest3())).status)).toBe(true);
      });
      suite.spec('Check how many tags there are before anything gets deleted', async () => {
        const res = await suite.client().request('GET', p().tags);
        expect(res.status).toBe(200);
        numTags = tagsOf(res).length;
        expect(tagsOf(res)).toContain(d.tagName);
      });
    });

    suite.context('Manifest delete', () => {
      suite.spec(
        'DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)',
        async () => {
          const res = await suite.client().request('DELETE', p().manifest(d.tagName));
          expect([400, 202, 405]).toContain(res.status);
          if (res.status === 400) {
            const body = res.json() as { errors?: { code?: string }[] };
            expect(body.errors?.[0]?.code).toBe('UNSUPPORTED');
          }
        },
      );
      suite.spec(
        'DELETE request to manifest (digest) should yield 202 response unless already deleted',
        async () => {
          const res = await suite.client().request('DELETE', p().manifest(manifest3().digest));
          expect([202, 404]).toContain(res.status);
        },
      );
      suite.spec(
        'GET request to deleted manifest URL should yield 404 response, unless delete is disallowed',
        async () => {
          const res = await suite.client().request('GET', p().manifest(manifest3().digest));
          expect([404, 200]).toContain(res.status);
          if (res.status === 404) {
            const body = res.json() as { errors?: { code?: string }[] };
            expect(SPEC_ERROR_CODES).toContain(body.errors?.[0]?.code);
          }
        },
      );
      suite.spec('GET request to tags list should reflect manifest deletion', async () => {
        const res = await suite.client().request('GET', p().tags);
        expect(res.status).toBe(200);
        expect(tagsOf(res).length).toBeLessThan(numTags);
        expect(tagsOf(res)).not.toContain(d.tagName);
      });
    });

    suite.context('Blob delete', () => {
      suite.spec('DELETE request to blob URL should yield 202 response', async () => {
        const config = await suite.client().request('DELETE', p().blob(config3().digest));
        expect([202, 404, 405]).toContain(config.status);
        const layer = await suite.client().request('DELETE', p().blob(d.layer.digest));
        expect([202, 404, 405]).toContain(layer.status);
        if (layer.status === 405) blobDeleteAllowed = false;
      });
      suite.spec('GET request to deleted blob URL should yield 404 response', async () => {
        expect(blobDeleteAllowed, 'blob deletes are disabled').toBe(true);
        const res = await suite.client().request('GET', p().blob(config3().digest));
        expect(res.status).toBe(404);
      });
    });
  });
}
