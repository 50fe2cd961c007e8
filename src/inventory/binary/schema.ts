// Schemas for the structured data the binary analyzers find inside files.
import { z } from 'zod';

/** Most crates a binary's dependency tree has in practice is a few thousand. */
export const MAX_AUDITABLE_PACKAGES = 100_000;

/**
 * The JSON cargo-auditable embeds (its auditable-serde `VersionInfo`): one entry per crate of
 * the build, `dependencies` as indices into the same list, `root` on the crate that was built.
 * `source` is `crates.io`, `git`, `local`, `registry` or another string; `kind` is omitted for
 * runtime dependencies and `build` for build-time ones. Unknown fields are ignored, so newer
 * writers still parse.
 */
export const auditableSchema = z.object({
  packages: z
    .array(
      z.object({
        name: z.string().min(1).max(256),
        version: z.string().min(1).max(256),
        source: z.string().max(1024),
        kind: z.string().max(64).optional(),
        dependencies: z.array(z.number().int().nonnegative()).optional(),
        root: z.boolean().optional(),
      }),
    )
    .max(MAX_AUDITABLE_PACKAGES),
});

export type AuditableData = z.infer<typeof auditableSchema>;
