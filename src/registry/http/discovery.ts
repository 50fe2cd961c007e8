import type { FastifyReply } from 'fastify';
import type { Digest } from '../../core/index.js';
import { MediaType } from '../../oci/index.js';
import type { ManifestRecord } from '../metadata/metadata-store.js';
import type { RegistryRoutesOptions } from './options.js';
import { param, parseCount, unknownName } from './parse.js';

/** The image index the referrers API answers with. */
export type ReferrersIndex = {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly manifests: {
    readonly mediaType: string;
    readonly digest: Digest;
    readonly size: number;
    readonly artifactType?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  }[];
};

/** Keeps the repositories of a catalog page the caller may see. */
export type CatalogFilter = (repositories: readonly string[]) => Promise<string[]>;

const CATALOG_BATCH = 1000;
const JSON_TYPE = 'application/json';

/** `GET /v2/_catalog`, paginated, filtered to what the caller may see. */
export async function catalog(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  q: URLSearchParams,
  filter?: CatalogFilter,
): Promise<FastifyReply> {
  const n = parseCount(param(q, 'n'));
  let last = param(q, 'last');
  const want = n === undefined ? undefined : n + 1;
  let page: string[];
  if (filter === undefined) {
    page = await opts.metadata.listRepositories({ n: want, last });
  } else {
    // Filtered: read in batches until a page (plus one, to know there is more) is visible.
    page = [];
    for (;;) {
      const batch = await opts.metadata.listRepositories({ n: CATALOG_BATCH, last });
      page.push(...(await filter(batch)));
      if (batch.length < CATALOG_BATCH || (want !== undefined && page.length >= want)) break;
      last = batch[batch.length - 1];
    }
    if (want !== undefined) page = page.slice(0, want);
  }
  const shown = n === undefined ? page : page.slice(0, n);
  if (n !== undefined && page.length > n && shown.length > 0) {
    const next = shown[shown.length - 1] ?? '';
    void reply.header('link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(next)}>; rel="next"`);
  }
  return reply.type(JSON_TYPE).send({ repositories: shown });
}

/** `GET /v2/<name>/tags/list`, paginated. */
export async function tags(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  name: string,
  q: URLSearchParams,
): Promise<FastifyReply> {
  if (!(await opts.metadata.hasRepository(name))) throw unknownName(name);
  const n = parseCount(param(q, 'n'));
  const last = param(q, 'last');
  const page = await opts.metadata.listTags(name, { n: n === undefined ? undefined : n + 1, last });
  const shown = n === undefined ? page : page.slice(0, n);
  if (n !== undefined && page.length > n && shown.length > 0) {
    const next = shown[shown.length - 1] ?? '';
    void reply.header('link', `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(next)}>; rel="next"`);
  }
  return reply.type(JSON_TYPE).send({ name, tags: shown });
}

/** The referrers API's answer: an image index of the referrers' descriptors. */
export function referrersIndex(records: readonly ManifestRecord[]): ReferrersIndex {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: records.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
      ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
    })),
  };
}

/** `GET /v2/<name>/referrers/<digest>`, an image index of the manifests whose subject it is. */
export async function referrers(
  opts: RegistryRoutesOptions,
  reply: FastifyReply,
  name: string,
  subject: Digest,
  q: URLSearchParams,
): Promise<FastifyReply> {
  const artifactType = param(q, 'artifactType');
  const records = await opts.metadata.listReferrers(name, subject, artifactType);
  if (artifactType !== undefined) void reply.header('oci-filters-applied', 'artifactType');
  const index = referrersIndex(records);
  // A Buffer, so fastify does not append a charset to the spec's media type.
  return reply
    .code(200)
    .header('content-type', MediaType.ociIndex)
    .send(Buffer.from(JSON.stringify(index)));
}
