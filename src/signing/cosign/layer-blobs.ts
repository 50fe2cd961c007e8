import { errorMessage, isPortcullisError, type Digest } from '../../core/index.js';
import type { RepositoryRef } from '../../imageref/index.js';
import type { ImageManifest, RegistryClient } from '../../oci/index.js';
import { MAX_SIGNATURE_LAYERS } from './manifest.js';

/** A few blobs at a time: they are small, and registries throttle bursts. */
const LAYER_FETCH_CONCURRENCY = 8;

type FoundManifest = { readonly digest: Digest; readonly manifest: ImageManifest };

/** The blobs of a `.sig` or `.att` manifest's layers, keyed by layer digest. */
export type FetchedLayerBlobs = {
  /** The manifest as read, its layers capped at MAX_SIGNATURE_LAYERS. */
  readonly found: FoundManifest | undefined;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  /** Why a layer's blob could not be fetched, keyed by layer digest. */
  readonly errors: ReadonlyMap<string, string>;
  readonly problems: readonly string[];
};

/**
 * Fetches each distinct layer blob of `found` (at most `maxBytes` each) from `repo`. A blob that
 * cannot be fetched is recorded in `errors` rather than thrown, so that verification reports it
 * with the others. `what` names the manifest in the problem about capped layers.
 * @throws what the client throws when it is not a PortcullisError.
 */
export async function fetchLayerBlobs(
  client: RegistryClient,
  repo: RepositoryRef,
  found: FoundManifest | undefined,
  what: string,
  maxBytes: number,
): Promise<FetchedLayerBlobs> {
  const problems: string[] = [];
  // cosign never writes more than 1000 layers; a manifest with more is not read further, so
  // that a hostile tag cannot make verification fetch without bound.
  let capped = found;
  if (found !== undefined && found.manifest.layers.length > MAX_SIGNATURE_LAYERS) {
    problems.push(
      `the ${what} has ${found.manifest.layers.length} layers; only the first ${MAX_SIGNATURE_LAYERS} were read`,
    );
    capped = {
      ...found,
      manifest: { ...found.manifest, layers: found.manifest.layers.slice(0, MAX_SIGNATURE_LAYERS) },
    };
  }
  const blobs = new Map<string, Uint8Array>();
  const errors = new Map<string, string>();
  const unique = [...new Map((capped?.manifest.layers ?? []).map((l) => [l.digest, l])).values()];
  for (let i = 0; i < unique.length; i += LAYER_FETCH_CONCURRENCY) {
    await Promise.all(
      unique.slice(i, i + LAYER_FETCH_CONCURRENCY).map(async (layer) => {
        try {
          blobs.set(layer.digest, await client.fetchBlob(repo, layer, maxBytes));
        } catch (err) {
          if (!isPortcullisError(err)) throw err;
          errors.set(layer.digest, errorMessage(err));
        }
      }),
    );
  }
  return { found: capped, blobs, errors, problems };
}
