import { truncateForMessage } from '../core/index.js';
import { tryParseImageRef } from '../imageref/index.js';
import { extractPodImages } from './images.js';
import type { ImageSite } from './images.js';
import type { JsonPatchOperation } from './schema.js';

/** An image the patch pins: its pointer, as written, and the value written there. */
export type PinnedImage = {
  readonly image: string;
  readonly path: string;
  readonly pinned: string;
};

/** An image the patch leaves as it is although it carries no digest, and why. */
export type UnpinnedImage = {
  readonly image: string;
  readonly path: string;
  readonly reason: string;
};

/** The JSONPatch that pins an object's images, with what it pinned and what it could not. */
export type PinResult = {
  /** RFC 6902 operations, one `replace` per pinned image; empty when nothing changes. */
  readonly patch: readonly JsonPatchOperation[];
  readonly pinned: readonly PinnedImage[];
  /** Images without a digest that stay unpinned: no digest known, or not a valid reference. */
  readonly unpinned: readonly UnpinnedImage[];
  /** Images that already carry a digest and are left alone. */
  readonly alreadyPinned: readonly ImageSite[];
};

// The digest grammar of the distribution spec for the algorithms registries serve; anything
// else would write an image the kubelet cannot pull, so it is reported rather than patched.
const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/**
 * The JSONPatch that pins every image of a Pod or workload pod template to its digest:
 * `name:tag` becomes `name:tag@sha256:…` (the tag is kept, so people still see which release
 * runs; the runtime pulls by digest). An image that already carries a digest is left alone, so a
 * second pass over the patched object yields no operations: the mutation is idempotent and safe
 * under `reinvocationPolicy: IfNeeded`. Images without an entry in `digests` (keyed by the image
 * exactly as written) are not patched and are listed in `unpinned`.
 *
 * Returns an empty result for kinds that run no pods.
 *
 * @throws AdmissionError ADMISSION_OBJECT_INVALID when the object does not have its kind's shape.
 */
export function pinImagesPatch(
  kind: string,
  object: unknown,
  digests: Readonly<Record<string, string>>,
): PinResult {
  const pod = extractPodImages(kind, object);
  const patch: JsonPatchOperation[] = [];
  const pinned: PinnedImage[] = [];
  const unpinned: UnpinnedImage[] = [];
  const alreadyPinned: ImageSite[] = [];
  for (const site of pod?.images ?? []) {
    const ref = tryParseImageRef(site.image);
    if (ref === undefined) {
      unpinned.push({ image: site.image, path: site.path, reason: 'not a valid image reference' });
      continue;
    }
    if (ref.digest !== undefined) {
      alreadyPinned.push(site);
      continue;
    }
    const digest = Object.hasOwn(digests, site.image) ? digests[site.image] : undefined;
    if (digest === undefined) {
      unpinned.push({ image: site.image, path: site.path, reason: 'no digest known for this image' });
      continue;
    }
    if (!DIGEST_RE.test(digest)) {
      unpinned.push({
        image: site.image,
        path: site.path,
        reason: `the digest "${truncateForMessage(digest, 80)}" is not sha256:<64 hex> or sha512:<128 hex>`,
      });
      continue;
    }
    // Appending to the string as written keeps its registry, repository and tag spelled as the
    // author wrote them; the parse above proved it has no digest yet.
    const value = `${site.image}@${digest}`;
    patch.push({ op: 'replace', path: site.path, value });
    pinned.push({ image: site.image, path: site.path, pinned: value });
  }
  return { patch, pinned, unpinned, alreadyPinned };
}
