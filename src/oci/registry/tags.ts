import { z } from 'zod';
import { errorMessage } from '../../core/index.js';
import type { RepositoryRef } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { pullScopes, repoName, repositoryPath, type RegistryContext } from './context.js';
import { readBody } from './http.js';
import { errorFromResponse } from './responses.js';

const tagListSchema = z.object({
  name: z.string().optional(),
  // Some registries answer `null` for a repository without tags.
  tags: z.array(z.string()).nullish(),
});

const MAX_PAGE_BYTES = 16 * 1024 * 1024;
const MAX_PAGES = 10_000;

/**
 * The `rel="next"` target of a `Link` header (RFC 8288), as distribution sends it for paginated
 * tag lists: `</v2/name/tags/list?last=x&n=100>; rel="next"`.
 */
export function parseNextLink(values: readonly string[]): string | undefined {
  for (const value of values.map((v) => v.slice(0, 16 * 1024))) {
    // Parameters may hold quoted strings with commas and semicolons (title="a, b").
    for (const m of value.matchAll(/<([^>]*)>((?:\s*;\s*(?:[^;,"]|"[^"]*")*)*)/g)) {
      const params = m[2] ?? '';
      const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
      const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
      if (rels.includes('next') && m[1] !== undefined && m[1] !== '') return m[1];
    }
  }
  return undefined;
}

/**
 * Lists a repository's tags, following pagination: the `Link: <...>; rel="next"` header, or,
 * for registries that page without it, `last=` after a page of exactly `pageSize` tags.
 * @throws OciError MANIFEST_UNKNOWN when the repository does not exist, plus transport errors.
 */
export async function listTags(
  ctx: RegistryContext,
  repo: RepositoryRef,
  opts: { readonly pageSize?: number | undefined } = {},
): Promise<string[]> {
  const pageSize = opts.pageSize;
  if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 1)) {
    throw new OciError('TARGET_INVALID', `tag page size must be a positive integer, got ${pageSize}`);
  }
  const base = repositoryPath(repo, 'tags/list');
  let target: string | URL = pageSize !== undefined ? `${base}?n=${pageSize}` : base;
  const tags: string[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.transport.request(repo.registry, {
      method: 'GET',
      target,
      headers: { accept: 'application/json' },
      scopes: pullScopes(repo),
    });
    visited.add(res.url.href);
    if (res.status !== 200)
      throw await errorFromResponse(res, `listing tags of ${repoName(repo)}`, 'MANIFEST_UNKNOWN');
    const body = await readBody(
      res,
      MAX_PAGE_BYTES,
      () =>
        new OciError(
          'LIMIT_EXCEEDED',
          `a tag list page of ${repoName(repo)} exceeds ${MAX_PAGE_BYTES} bytes`,
        ),
    );
    let parsed: z.infer<typeof tagListSchema>;
    try {
      const r = tagListSchema.safeParse(JSON.parse(body.toString('utf8')));
      if (!r.success) throw new Error(r.error.issues[0]?.message ?? 'unexpected shape');
      parsed = r.data;
    } catch (err) {
      throw new OciError(
        'REGISTRY_ERROR',
        `the tag list of ${repoName(repo)} is malformed: ${errorMessage(err).slice(0, 120)}`,
      );
    }
    const pageTags = parsed.tags ?? [];
    let added = 0;
    for (const t of pageTags) {
      if (!seen.has(t)) {
        seen.add(t);
        tags.push(t);
        added++;
      }
    }
    const next = parseNextLink(res.headerAll('link'));
    let nextUrl: URL | undefined;
    if (next !== undefined) {
      nextUrl = new URL(next, res.url);
    } else if (pageSize !== undefined && pageTags.length === pageSize && added > 0) {
      nextUrl = new URL(
        `${base}?n=${pageSize}&last=${encodeURIComponent(pageTags[pageTags.length - 1] ?? '')}`,
        res.url,
      );
    }
    if (nextUrl === undefined || visited.has(nextUrl.href) || added === 0) break;
    target = nextUrl;
  }
  return tags;
}
