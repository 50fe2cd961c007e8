import { errorMessage, PortcullisError, type Digest, type Logger } from '../../core/index.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { GateRefusal, HookActor, PushedManifest, RegistryHooks } from './hooks.js';

/**
 * A request refused by one of the server layer's gates (pull gate, immutable tag): answered
 * as the spec's DENIED (403) with the gate's message. It lives beside the routes rather than
 * among the registry's error codes because no storage or metadata layer ever raises it.
 */
export class GateRefusedError extends PortcullisError<'DENIED'> {}

/**
 * Throws the refusal of a gate, if it refused.
 * @throws GateRefusedError DENIED.
 */
export function enforce(refusal: GateRefusal | undefined): void {
  if (refusal !== undefined) throw new GateRefusedError(refusal.code, refusal.message);
}

const TAG_PAGE = 1000;

/** The tags of `repository` that point at `digest` (every tag is read: the store has no reverse index). */
export async function tagsPointingAt(
  metadata: MetadataStore,
  repository: string,
  digest: Digest,
): Promise<string[]> {
  const found: string[] = [];
  let last: string | undefined;
  for (;;) {
    const page = await metadata.listTags(repository, { n: TAG_PAGE, last });
    for (const tag of page) {
      if ((await metadata.resolveTag(repository, tag)) === digest) found.push(tag);
    }
    if (page.length < TAG_PAGE) return found;
    last = page[page.length - 1];
  }
}

/**
 * Asks checkTagChange about each tag that would move to `next` (or be deleted, `next`
 * undefined); tags that are new or already at `next` are not changes.
 * @throws GateRefusedError DENIED at the first refusal.
 */
export async function checkTagChanges(
  hooks: RegistryHooks | undefined,
  metadata: MetadataStore,
  repository: string,
  tags: readonly string[],
  next: Digest | undefined,
  actor: HookActor | undefined,
): Promise<void> {
  const check = hooks?.checkTagChange;
  if (check === undefined) return;
  for (const tag of tags) {
    const current = await metadata.resolveTag(repository, tag);
    if (current === undefined || current === next) continue;
    enforce(await check({ repository, tag, current, next, actor }));
  }
}

/** Tells onManifestPushed, never waiting for it and never letting its failure reach the client. */
export function notifyPushed(
  hooks: RegistryHooks | undefined,
  event: PushedManifest,
  logger: Logger | undefined,
): void {
  const hook = hooks?.onManifestPushed;
  if (hook === undefined) return;
  const failed = (err: unknown) =>
    logger?.warn(
      `after the push of ${event.repository}@${event.record.digest}: the push hook failed: ${errorMessage(err)}`,
    );
  // The contract says it queues its work and returns; a throw is logged, never answered.
  try {
    hook(event);
  } catch (err) {
    failed(err);
  }
}
