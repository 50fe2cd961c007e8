import type { ImageRef } from '../../imageref/index.js';
import type { HistoryEntry, ImageConfig, LayerEntry } from '../../oci/index.js';
import type { LayerRef, RuleMeta } from '../../report/index.js';

/** One history entry of an image config, with the layer it made (if any and known). */
export type HistoryStep = {
  /** Position in the config's `history` array (0-based; empty_layer entries included). */
  readonly index: number;
  readonly entry: HistoryEntry;
  readonly createdBy: string;
  /** The layer this entry produced; undefined for empty_layer entries or when layers are unknown. */
  readonly layer: LayerRef | undefined;
  /** True for the first entry that produced a layer: the base image's root filesystem. */
  readonly isBase: boolean;
};

/** What config rules see: the parsed config, its history and the reference the user named. */
export type ImageConfigContext = {
  readonly config: ImageConfig;
  readonly history: readonly HistoryStep[];
  /** The registry reference as the user wrote it, when the image came from a registry. */
  readonly reference: ImageRef | undefined;
};

/** A config rule's finding before the audit adds the rule's metadata, path and severity. */
export type ImageHit = { readonly message: string; readonly layer?: LayerRef | undefined };

/** What later layers did to a path a rule saw in a lower layer. */
export type PathFate = {
  /** Index of the first later layer that deleted it (a whiteout of it or a parent, or an opaque parent). */
  deletedBy: number | undefined;
  /** Index of the first later layer that wrote the same path again. */
  replacedBy: number | undefined;
};

/** Tracks paths across the walk, so rules can say whether a file is still in the final image. */
export interface PathTracker {
  /** Starts tracking `entry.path` from `entry`'s layer on; the returned fate fills in as the walk goes on. */
  track(entry: LayerEntry): PathFate;
}

/**
 * Per-audit state of a layer rule: it sees every entry of every layer (files deleted later
 * included) and returns its findings once the walk is over.
 */
export interface LayerScan {
  /** Returns a sink when the rule needs the content of this regular file (small files only). */
  visit(entry: LayerEntry, paths: PathTracker): ((content: Buffer) => void) | undefined;
  finish(): ImageHit[];
}

/** One image audit rule: one file in image/rules/, one page in docs/rules/. */
export type ImageRule = RuleMeta & {
  readonly id: `PC-IMG-${string}`;
  readonly docs: `docs/rules/PC-IMG-${string}.md`;
  /** Checks the config and history (no layer content needed). */
  readonly checkConfig?: (ctx: ImageConfigContext) => ImageHit[];
  /** Starts a scan of the layers' entries. */
  readonly scanLayers?: () => LayerScan;
};
