import type { LayerEntry } from '../../oci/index.js';
import type { ImageHit, PathFate } from './types.js';

/** Something a layer rule found in one layer, waiting for the walk to finish to know its fate. */
export type PendingHit = { readonly entry: LayerEntry; readonly fate: PathFate; readonly what: string };

/** Whether the file is still in the final filesystem, or only in a lower layer's blob. */
export function describeFate(entry: LayerEntry, fate: PathFate): string {
  if (fate.deletedBy !== undefined)
    return `deleted by layer ${fate.deletedBy}, but still in layer ${entry.layerIndex} for anyone who pulls the image`;
  if (fate.replacedBy !== undefined)
    return `replaced by layer ${fate.replacedBy}, but the old copy is still in layer ${entry.layerIndex}`;
  return 'present in the final filesystem';
}

/** True when a later layer deleted or replaced the path. */
export function isGone(fate: PathFate): boolean {
  return fate.deletedBy !== undefined || fate.replacedBy !== undefined;
}

/** The finding for a pending hit: the path, what it is, its fate, and the layer holding it. */
export function toImageHit(hit: PendingHit): ImageHit {
  const { entry } = hit;
  return {
    message: `${hit.what} /${entry.path}: ${describeFate(entry, hit.fate)}`,
    ...(entry.layerIndex >= 0 ? { layer: { index: entry.layerIndex, digest: entry.layerDigest } } : {}),
  };
}
