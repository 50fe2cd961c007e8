import {
  isSecretLikeName,
  isSecretLikeValue,
  redactEnvEntry,
  redactSecret,
  type Digest,
} from '../core/index.js';
import type { Image } from './image.js';
import { formatPlatform } from './platform.js';

export type LayerDescription = {
  readonly index: number;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly diffID: Digest;
  readonly createdBy: string | undefined;
  readonly created: string | undefined;
};

/** What `inspect` shows about an image, with secret-looking values already redacted. */
export type ImageDescription =
  | {
      readonly kind: 'layered';
      readonly source: string;
      readonly reference: string;
      readonly digest: Digest | undefined;
      readonly indexDigest: Digest | undefined;
      readonly mediaType: string;
      readonly platform: string | undefined;
      readonly created: string | undefined;
      readonly config: {
        readonly digest: Digest;
        readonly user: string | undefined;
        readonly entrypoint: readonly string[] | undefined;
        readonly cmd: readonly string[] | undefined;
        readonly workingDir: string | undefined;
        readonly env: readonly string[];
        readonly labels: Readonly<Record<string, string>>;
        readonly exposedPorts: readonly string[];
        readonly redactedValues: number;
      };
      readonly layers: readonly LayerDescription[];
      readonly totalSize: number;
    }
  | { readonly kind: 'rootfs'; readonly source: 'rootfs'; readonly reference: string; readonly root: string };

/**
 * Summarises an image for display. Environment values and labels whose name or value looks
 * like a credential are redacted here, so no renderer can print them by mistake.
 */
export function describeImage(image: Image): ImageDescription {
  if (image.kind === 'rootfs') {
    return { kind: 'rootfs', source: 'rootfs', reference: image.reference, root: image.root };
  }
  const cfg = image.config.config;
  let redactedValues = 0;
  const env = (cfg?.Env ?? []).map((e) => {
    const r = redactEnvEntry(e);
    if (r.redacted) redactedValues++;
    return r.entry;
  });
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg?.Labels ?? {})) {
    const secret = v !== '' && (isSecretLikeName(k) || isSecretLikeValue(v));
    if (secret) redactedValues++;
    labels[k] = secret ? redactSecret(v) : v;
  }
  const layers = image.layers.map((l) => ({
    index: l.index,
    digest: l.descriptor.digest,
    mediaType: l.descriptor.mediaType,
    size: l.descriptor.size,
    diffID: l.diffID,
    createdBy: l.history?.created_by,
    created: l.history?.created,
  }));
  return {
    kind: 'layered',
    source: image.source,
    reference: image.reference,
    digest: image.digest,
    indexDigest: image.indexDigest,
    mediaType: image.mediaType,
    platform: image.platform ? formatPlatform(image.platform) : undefined,
    created: image.config.created,
    config: {
      digest: image.configDigest,
      user: cfg?.User === '' ? undefined : cfg?.User,
      entrypoint: cfg?.Entrypoint,
      cmd: cfg?.Cmd,
      workingDir: cfg?.WorkingDir === '' ? undefined : cfg?.WorkingDir,
      env,
      labels,
      exposedPorts: Object.keys(cfg?.ExposedPorts ?? {}),
      redactedValues,
    },
    layers,
    totalSize: layers.reduce((n, l) => n + l.size, 0),
  };
}
