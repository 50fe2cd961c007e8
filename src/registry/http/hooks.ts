import type { Digest } from '../../core/index.js';
import type { ManifestRecord } from '../metadata/metadata-store.js';

/** Who is asking, as the hooks see it (undefined when the registry runs without auth). */
export type HookActor = {
  readonly kind: 'user' | 'robot' | 'anonymous';
  readonly name: string;
};

/** A manifest that was just stored by a PUT. */
export type PushedManifest = {
  readonly repository: string;
  readonly record: ManifestRecord;
  readonly tags: readonly string[];
  readonly actor: HookActor | undefined;
};

/** A refusal from a gate: the OCI error code it is answered with, and a message for the client. */
export type GateRefusal = {
  /** DENIED (403) for policy refusals; TOOMANYREQUESTS-style codes are not used. */
  readonly code: 'DENIED';
  readonly message: string;
};

/**
 * What the server layer plugs into the distribution routes: gates that may refuse a request,
 * and a notification after each manifest push. The registry capability knows nothing of
 * scanning, signing or policies; `src/server` implements these with them.
 */
export type RegistryHooks = {
  /**
   * Asked before a manifest is served (GET and HEAD). Undefined allows. The registry's own
   * scanner and verifier read the stores directly, so they never pass through here.
   */
  readonly checkPull?: (ctx: {
    /** HEAD answers the digest, media type and size only, never the content. */
    readonly method: 'GET' | 'HEAD';
    readonly repository: string;
    readonly record: ManifestRecord;
    readonly actor: HookActor | undefined;
  }) => Promise<GateRefusal | undefined>;
  /**
   * Asked before a tag is pointed at another manifest or deleted (immutable tags). `current`
   * is the digest the tag points at now; `next` is undefined for a delete.
   */
  readonly checkTagChange?: (ctx: {
    readonly repository: string;
    readonly tag: string;
    readonly current: Digest;
    readonly next: Digest | undefined;
    readonly actor: HookActor | undefined;
  }) => Promise<GateRefusal | undefined>;
  /** Told after a manifest is stored; must not throw or block (queue the work). */
  readonly onManifestPushed?: (event: PushedManifest) => void;
};
