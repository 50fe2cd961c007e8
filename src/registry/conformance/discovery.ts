import { isSuccess, paths, putManifest, remove, tagsOf, uploadBlob, type Suite } from './context.js';

// The Content Discovery workflow (Go suite conformance/03_discovery_test.go): tags listed
// with `n` and `last` pagination, and the referrers API (OCI 1.1): five artifacts name
// manifest 4 as their subject, the list carries each one's annotations, an `artifactType`
// filter is announced with `OCI-Filters-Applied`, and a subject that was never pushed still
// answers 200 with the artifact naming it.

type Descriptor = { digest?: string; artifactType?: string; annotations?: Record<string, string> };

/** Registers the Content Discovery workflow. */
export function registerContentDiscovery(suite: Suite): void {
  const { expect } = suite.api;
  const d = suite.data;
  const p = () => paths(suite.target().namespace);
  const ociIndex = 'application/vnd.oci.image.index.v1+json';
  const numTagsPushed = 4;
  let tagList: string[] = [];
  let numTags = numTagsPushed;
  const manifest4 = () => d.manifests[4] ?? d.layer;
  const manifest3 = () => d.manifests[3] ?? d.layer;
  const expectedTypes = () =>
    new Map([
      [d.refsConfigA.digest, d.artifactTypeA],
      [d.refsLayerA.digest, d.artifactTypeA],
      [d.refsConfigB.digest, d.artifactTypeB],
      [d.refsLayerB.digest, d.artifactTypeB],
      [d.refsIndex.digest, d.artifactTypeIndex],
    ]);
  const referrers = async (digest: string, query: Record<string, string> = {}) => {
    const res = await suite.client().request('GET', p().referrers(digest), { query });
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe(ociIndex);
    const body = res.json() as { manifests?: Descriptor[] };
    return { res, manifests: body.manifests ?? [] };
  };
  const checkAnnotations = (manifests: Descriptor[]) => {
    for (const m of manifests) {
      expect(Object.keys(m.annotations ?? {})).toHaveLength(1);
      expect(m.annotations?.[d.annotationKey]).toBe(d.annotationValues.get(m.digest ?? ''));
      // Not in the Go check: the descriptor carries the artifact's type (spec "Listing Referrers").
      expect(m.artifactType).toBe(expectedTypes().get(m.digest ?? ''));
    }
  };

  suite.context('Content Discovery', () => {
    suite.context('Setup', () => {
      suite.spec('Populate registry with test blob', async () => {
        expect(isSuccess((await uploadBlob(suite, d.configs[2] ?? d.layer)).status)).toBe(true);
      });
      suite.spec('Populate registry with test layer', async () => {
        expect(isSuccess((await uploadBlob(suite, d.layer)).status)).toBe(true);
      });
      suite.spec('Populate registry with test tags', async () => {
        for (let i = 0; i < numTagsPushed; i++) {
          expect(isSuccess((await putManifest(suite, `test${i}`, d.manifests[2] ?? d.layer)).status)).toBe(
            true,
          );
        }
        tagList = tagsOf(await suite.client().request('GET', p().tags));
      });
      if (suite.options.referrers) {
        suite.spec('References setup', async () => {
          const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
          const expectSubject = async (
            blob: typeof d.refsConfigA,
            subject: string,
            mediaType = ociManifest,
          ): Promise<void> => {
            const res = await putManifest(suite, blob.digest, blob, mediaType);
            expect(isSuccess(res.status)).toBe(true);
            expect(res.header('oci-subject')).toBe(subject);
          };
          expect(isSuccess((await uploadBlob(suite, d.emptyJson)).status)).toBe(true);
          // Referrers pushed before their subject exists, then after.
          expect(isSuccess((await uploadBlob(suite, d.refBlobA)).status)).toBe(true);
          await expectSubject(d.refsConfigA, manifest4().digest);
          await expectSubject(d.refsLayerA, manifest4().digest);
          await expectSubject(d.refsIndex, manifest4().digest, ociIndex);
          expect(isSuccess((await uploadBlob(suite, d.configs[4] ?? d.layer)).status)).toBe(true);
          expect(isSuccess((await uploadBlob(suite, d.layer)).status)).toBe(true);
          expect(isSuccess((await putManifest(suite, d.tagName, manifest4())).status)).toBe(true);
          expect(isSuccess((await uploadBlob(suite, d.refBlobB)).status)).toBe(true);
          await expectSubject(d.refsConfigB, manifest4().digest);
          await expectSubject(d.refsLayerB, manifest4().digest);
          await expectSubject(d.refsDangling, manifest3().digest);
        });
      }
    });

    suite.context('Test content discovery endpoints (listing tags)', () => {
      suite.spec('GET request to list tags should yield 200 response', async () => {
        const res = await suite.client().request('GET', p().tags);
        expect(res.status).toBe(200);
        tagList = tagsOf(res);
        numTags = tagList.length;
        // Not in the Go check: every pushed tag is listed, in lexical order.
        for (let i = 0; i < numTagsPushed; i++) expect(tagList).toContain(`test${i}`);
        expect(tagList).toEqual([...tagList].sort());
      });
      suite.spec('GET number of tags should be limitable by `n` query parameter', async () => {
        const n = Math.floor(numTags / 2);
        const res = await suite.client().request('GET', p().tags, { query: { n: String(n) } });
        expect(res.status).toBe(200);
        expect(tagsOf(res)).toHaveLength(n);
      });
      suite.spec('GET start of tag is set by `last` query parameter', async () => {
        const n = Math.floor(numTags / 2);
        const first = tagsOf(await suite.client().request('GET', p().tags, { query: { n: String(n) } }));
        const lastTag = first[n - 1] ?? '';
        const res = await suite.client().request('GET', p().tags, { query: { n: String(n), last: lastTag } });
        expect(res.status).toBe(200);
        const page = tagsOf(res);
        // The Go check compares the first page with itself; this checks the second page.
        expect(page.length).toBeLessThanOrEqual(n);
        expect(page.length).toBeGreaterThan(0);
        for (const t of page) expect(t > lastTag).toBe(true);
        expect(page).toEqual(tagList.filter((t) => t > lastTag).slice(0, n));
      });
    });

    if (suite.options.referrers) {
      suite.context('Test content discovery endpoints (listing references)', () => {
        suite.spec('GET request to nonexistent blob should result in empty 200 response', async () => {
          const { manifests } = await referrers(d.dummyDigest);
          expect(manifests).toHaveLength(0);
        });
        suite.spec('GET request to existing blob should yield 200', async () => {
          const { manifests } = await referrers(manifest4().digest);
          expect(manifests).toHaveLength(5);
          expect(manifests[0]?.digest).not.toBe(manifests[1]?.digest);
          checkAnnotations(manifests);
        });
        suite.spec('GET request to existing blob with filter should yield 200', async () => {
          const { res, manifests } = await referrers(manifest4().digest, { artifactType: d.artifactTypeA });
          // Filtering is optional in the spec; this registry is expected to filter.
          expect(res.header('oci-filters-applied')).toBe('artifactType');
          expect(manifests).toHaveLength(2);
          checkAnnotations(manifests);
        });
        suite.spec('GET request to missing manifest should yield 200', async () => {
          const { manifests } = await referrers(manifest3().digest);
          expect(manifests).toHaveLength(1);
          expect(manifests[0]?.digest).toBe(d.refsDangling.digest);
        });
      });
    }

    suite.context('Teardown', () => {
      const ok = (status: number) => isSuccess(status) || status === 404 || status === 405;
      suite.spec('Delete created manifest & associated tags', async () => {
        for (const ref of [
          d.refsIndex.digest,
          d.manifests[2]?.digest ?? '',
          manifest4().digest,
          d.refsConfigA.digest,
          d.refsLayerA.digest,
          d.tagName,
          d.refsConfigB.digest,
          d.refsLayerB.digest,
          d.refsDangling.digest,
        ]) {
          const res = await remove(suite, p().manifest(ref));
          expect(ok(res.status), `DELETE ${ref}: ${res.status} ${res.text()}`).toBe(true);
        }
      });
      suite.spec('Delete config blob created in tests', async () => {
        const res = await remove(suite, p().blob(d.configs[2]?.digest ?? ''));
        expect(isSuccess(res.status) || res.status === 405).toBe(true);
      });
      suite.spec('Delete layer blob created in setup', async () => {
        const res = await remove(suite, p().blob(d.layer.digest));
        expect(isSuccess(res.status) || res.status === 405).toBe(true);
      });
      suite.spec('References teardown', async () => {
        for (const blob of [
          d.configs[4]?.digest ?? '',
          d.refBlobA.digest,
          d.refBlobB.digest,
          d.emptyJson.digest,
        ]) {
          expect(ok((await remove(suite, p().blob(blob))).status)).toBe(true);
        }
      });
    });
  });
}
