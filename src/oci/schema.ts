import { z } from 'zod';
import { tryParseDigest, type Digest } from '../core/index.js';

// Validation of JSON that comes from outside (registries, layouts, archives). Shapes follow the
// OCI image spec (descriptor.md, manifest.md, image-index.md, config.md) and Docker's
// manifest v2 schema 2, which is the same shape with other media types.

const digestSchema = z.string().transform((s, ctx): Digest => {
  const d = tryParseDigest(s);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid digest "${s.slice(0, 80)}"` });
    return z.NEVER;
  }
  return d;
});

const annotations = z.record(z.string(), z.string()).optional();

export const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});
export type Platform = z.infer<typeof platformSchema>;

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations,
  data: z.string().optional(),
  artifactType: z.string().optional(),
  platform: platformSchema.optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations,
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export const imageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations,
});
export type ImageIndex = z.infer<typeof imageIndexSchema>;

const historySchema = z.object({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});
export type HistoryEntry = z.infer<typeof historySchema>;

// Docker writes `null` for empty lists and maps; accept it and treat it as absent.
const nullableStrings = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? undefined);

export const imageConfigSchema = z.object({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  'os.version': z.string().optional(),
  variant: z.string().optional(),
  config: z
    .object({
      User: z.string().optional(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Env: nullableStrings,
      Entrypoint: nullableStrings,
      Cmd: nullableStrings,
      Volumes: z.record(z.string(), z.unknown()).nullish(),
      WorkingDir: z.string().optional(),
      Labels: z
        .record(z.string(), z.string())
        .nullish()
        .transform((v) => v ?? undefined),
      StopSignal: z.string().optional(),
      Healthcheck: z.unknown().optional(),
    })
    .loose()
    .nullish()
    .transform((v) => v ?? undefined),
  rootfs: z.object({
    type: z.string(),
    diff_ids: z.array(digestSchema),
  }),
  history: z
    .array(historySchema)
    .nullish()
    .transform((v) => v ?? undefined),
});
export type ImageConfig = z.infer<typeof imageConfigSchema>;

/** The part of any manifest we look at first to decide what it is. */
export const manifestProbeSchema = z.object({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
  manifests: z.array(z.unknown()).optional(),
  config: z.unknown().optional(),
});
