import type { describe, expect, it } from 'vitest';
import { ConformanceClient, type ConformanceCredentials, type ConformanceResponse } from './client.js';
import { makeConformanceData, type ConformanceData, type TestBlob } from './data.js';

/**
 * The parts of vitest the suite registers with. Passed in rather than imported, so the port
 * stays a library (built into dist/) that any vitest test file can call.
 */
export type ConformanceTestApi = {
  readonly describe: typeof describe;
  readonly it: typeof it;
  readonly expect: typeof expect;
};

/** The four workflows of the Go suite (OCI_TEST_PULL, _PUSH, _CONTENT_DISCOVERY, _CONTENT_MANAGEMENT). */
export type ConformanceGroup = 'pull' | 'push' | 'content-discovery' | 'content-management';

/** The registry under test; read once its server has started (in a beforeAll). */
export type ConformanceTarget = {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The account the suite runs as (OCI_USERNAME/OCI_PASSWORD); undefined for none. */
  readonly credentials?: ConformanceCredentials | undefined;
  /** The repository the checks use (OCI_NAMESPACE). */
  readonly namespace: string;
  /** The repository blobs are mounted into (OCI_CROSSMOUNT_NAMESPACE). */
  readonly crossmountNamespace: string;
};

/** What to run, and what is known to differ on this target. */
export type ConformanceOptions = {
  /** Default: all four. */
  readonly groups?: readonly ConformanceGroup[];
  /** Whether the registry implements the referrers API (OCI 1.1) and answers `OCI-Subject`. */
  readonly referrers: boolean;
  /**
   * Checks known to fail on this target, by full name (`Push > Blob Upload Chunked > …`), each
   * with its reason. They are registered with `it.fails`, so a listed difference that stops
   * occurring fails the run and the list is corrected.
   */
  readonly differences?: Readonly<Record<string, string>>;
};

/** What the workflow modules register their checks through. */
export type Suite = {
  readonly api: ConformanceTestApi;
  readonly options: ConformanceOptions;
  readonly data: ConformanceData;
  /** The client for the target (created at first use, after the target has started). */
  client(): ConformanceClient;
  target(): ConformanceTarget;
  /** A `describe` block whose name becomes part of its checks' full names. */
  context(title: string, body: () => void): void;
  /**
   * A check. The Go suite skips some checks when a registry lacks an optional feature (mounts,
   * blob deletes); every registry this port runs against has them, so those checks assert them.
   */
  spec(title: string, fn: () => Promise<void> | void): void;
  /** Full names of every check registered, for checking the differences list. */
  readonly registered: Set<string>;
};

/** Builds the suite context around a target getter. */
export function createSuite(
  api: ConformanceTestApi,
  target: () => ConformanceTarget,
  options: ConformanceOptions,
): Suite {
  const path: string[] = [];
  const registered = new Set<string>();
  let client: ConformanceClient | undefined;
  const differences = options.differences ?? {};
  return {
    api,
    options,
    data: makeConformanceData(),
    registered,
    target,
    client() {
      if (client === undefined) {
        const t = target();
        client = new ConformanceClient(t.url, t.credentials);
      }
      return client;
    },
    context(title, body) {
      // vitest may run a describe's body after its parent's has returned: the full name is
      // fixed here, where the block is declared.
      const names = [...path, title];
      api.describe(title, () => {
        const saved = path.splice(0, path.length, ...names);
        try {
          body();
        } finally {
          path.splice(0, path.length, ...saved);
        }
      });
    },
    spec(title, fn) {
      const full = [...path, title].join(' > ');
      registered.add(full);
      const run = async (): Promise<void> => {
        await fn();
      };
      if (differences[full] !== undefined) api.it.fails(title, run);
      else api.it(title, run);
    },
  };
}

/** Paths of the distribution endpoints in a repository. */
export function paths(name: string) {
  return {
    uploads: `/v2/${name}/blobs/uploads/`,
    blob: (digest: string) => `/v2/${name}/blobs/${digest}`,
    manifest: (reference: string) => `/v2/${name}/manifests/${reference}`,
    tags: `/v2/${name}/tags/list`,
    referrers: (digest: string) => `/v2/${name}/referrers/${digest}`,
  };
}

/** True for a 2xx status. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** POST then PUT with the digest: how every workflow's setup puts a blob in place. */
export async function uploadBlob(suite: Suite, blob: TestBlob): Promise<ConformanceResponse> {
  const c = suite.client();
  const p = paths(suite.target().namespace);
  const started = await c.request('POST', p.uploads);
  return c.request('PUT', started.location, {
    query: { digest: blob.digest },
    headers: { 'content-type': 'application/octet-stream', 'content-length': blob.length },
    body: blob.content,
  });
}

/** PUT of a manifest (or index) by tag or digest. */
export function putManifest(
  suite: Suite,
  reference: string,
  manifest: TestBlob,
  mediaType = 'application/vnd.oci.image.manifest.v1+json',
): Promise<ConformanceResponse> {
  return suite.client().request('PUT', paths(suite.target().namespace).manifest(reference), {
    headers: { 'content-type': mediaType },
    body: manifest.content,
  });
}

/** DELETE of a path; teardown accepts 2xx, 404 and 405 (deletes may be disabled). */
export function remove(suite: Suite, path: string): Promise<ConformanceResponse> {
  return suite.client().request('DELETE', path);
}

/** The `tags` of a tag list body, or [] when it is not one. */
export function tagsOf(res: ConformanceResponse): string[] {
  try {
    const body = res.json() as { tags?: unknown };
    return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
