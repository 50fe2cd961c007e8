import { z } from 'zod';
import type { Digest } from '../../core/index.js';
import type { AdmissionRule, Policy } from '../../policy/index.js';
import {
  ApiError,
  apiComponent,
  defineApiRoute,
  digestSchema,
  errorDoc,
  projectNameSchema,
  repositoryNameSchema,
  type ApiExtension,
  type ManifestRecord,
  type MetadataStore,
} from '../../registry/index.js';
import { applicableProjectEntry } from './gates.js';
import type { ScanResultsReader } from './scan-results.js';

// The management API routes that need the server layer: a manifest's scan results (from the
// scan worker's ScanResultsReader), its signatures (referrers and cosign's tag-based .sig and
// .att manifests, from the metadata store) and a project's effective pull gates (the policy's
// server.projects). They plug into the registry's API as an ApiExtension, so the registry
// capability itself knows nothing of scanning, signing or policies. The caller needs pull on
// the repository (robots included: CI checks the scan of what it pushed).

/**
 * What the server-layer routes read. Both are read on every request, never copied, so getters
 * keep them current (a policy reload shows at once).
 */
export type RegistryApiExtensionOptions = {
  /** Scan results; absent when the registry does not scan (the scan route then answers 404). */
  readonly scans?: ScanResultsReader | undefined;
  /** The policy in force (its `rules` and `server.projects`); absent: no gates. */
  readonly policy?: Policy | undefined;
};

const manifestPath = z.strictObject({ name: repositoryNameSchema, digest: digestSchema });
const NOT_FOUND = errorDoc('No such repository, manifest or scan (NOT_FOUND)');

const manifestRefSchema = apiComponent(
  z.strictObject({
    digest: z.string(),
    mediaType: z.string(),
    size: z.number().int(),
    artifactType: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  'ManifestRef',
  'A manifest stored in the registry.',
);

const scanSchema = apiComponent(
  z.strictObject({
    repository: z.string(),
    digest: z.string(),
    status: z.enum(['pending', 'done', 'failed', 'unsupported']),
    findings: z.array(
      z
        .looseObject({ id: z.string(), severity: z.string(), installedVersion: z.string() })
        .describe('A finding as in portcullis scan --format json (docs/scan-json.md).'),
    ),
    error: z.string().optional(),
    scannedAt: z.string().optional(),
    dbVersion: z.string().optional(),
  }),
  'ManifestScan',
  'The stored scan of a manifest.',
);

const signaturesSchema = apiComponent(
  z.strictObject({
    repository: z.string(),
    digest: z.string(),
    referrers: z.array(manifestRefSchema).describe('Manifests whose subject is this one (OCI referrers).'),
    tagged: z
      .array(
        z.strictObject({
          kind: z.enum(['signature', 'attestation']),
          tag: z.string(),
          manifest: manifestRefSchema,
        }),
      )
      .describe("cosign's tag-based manifests: <alg>-<hex>.sig and .att."),
  }),
  'ManifestSignatures',
  'What refers to a manifest: signatures, attestations, SBOMs.',
);

const gatesSchema = apiComponent(
  z.strictObject({
    project: z.string(),
    entry: z
      .string()
      .optional()
      .describe('The server.projects name or glob that applies; absent: none does.'),
    pull: z
      .strictObject({
        rules: z.array(z.looseObject({ name: z.string(), kind: z.string() })),
        whileScanning: z.enum(['deny', 'allow']),
      })
      .optional(),
    immutableTags: z.array(z.string()),
    vex: z.array(z.string()).describe('File names of the OpenVEX documents applied.'),
  }),
  'ProjectGates',
  "The gates a project's pulls and tags pass, as the policy in force sets them.",
);

function refOf(m: ManifestRecord): z.output<typeof manifestRefSchema> {
  return {
    digest: m.digest,
    mediaType: m.mediaType,
    size: m.size,
    ...(m.artifactType === undefined ? {} : { artifactType: m.artifactType }),
    ...(m.annotations === undefined ? {} : { annotations: { ...m.annotations } }),
  };
}

async function manifestOrNotFound(
  metadata: MetadataStore,
  repository: string,
  digest: Digest,
): Promise<void> {
  if ((await metadata.getManifest(repository, digest)) === undefined)
    throw new ApiError('NOT_FOUND', `no manifest ${digest} in ${repository}`);
}

/** A rule as the gates answer shows it: everything but `match`, which the registry does not use. */
function ruleView(rule: AdmissionRule): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rule).filter(([k]) => k !== 'match'));
}

/** The server layer's management routes, to pass as `apiExtensions` to the registry. */
export function createRegistryApiExtension(opts: RegistryApiExtensionOptions): ApiExtension {
  return {
    name: 'server',
    routes: [
      defineApiRoute({
        method: 'GET',
        path: '/api/v1/repositories/{name}/manifests/{digest}/scan',
        operationId: 'getManifestScan',
        summary: "A manifest's scan results",
        description: 'The caller needs pull on the repository.',
        tag: 'repositories',
        access: 'authenticated',
        robots: true,
        params: manifestPath,
        responses: {
          200: { description: 'The stored scan', schema: scanSchema },
          404: NOT_FOUND,
        },
        handler: async ({ params, caller, raw }, ctx) => {
          await ctx.requirePull(raw, caller, params.name);
          await manifestOrNotFound(ctx.metadata, params.name, params.digest);
          const scan = await opts.scans?.scanOf(params.digest);
          if (scan === undefined)
            throw new ApiError(
              'NOT_FOUND',
              opts.scans === undefined
                ? 'this registry does not scan images'
                : `no scan of ${params.digest} was recorded`,
            );
          return {
            status: 200,
            body: {
              repository: params.name,
              digest: scan.digest,
              status: scan.status,
              findings: scan.findings,
              ...(scan.error === undefined ? {} : { error: scan.error }),
              ...(scan.scannedAt === undefined ? {} : { scannedAt: scan.scannedAt }),
              ...(scan.dbVersion === undefined ? {} : { dbVersion: scan.dbVersion }),
            },
          };
        },
      }),
      defineApiRoute({
        method: 'GET',
        path: '/api/v1/repositories/{name}/manifests/{digest}/signatures',
        operationId: 'getManifestSignatures',
        summary: "A manifest's signatures, attestations and other referrers",
        description:
          'Lists what is stored, without verifying it (the pull gates verify). The caller needs pull on the repository.',
        tag: 'repositories',
        access: 'authenticated',
        robots: true,
        params: manifestPath,
        responses: {
          200: { description: 'The referrers and cosign tags', schema: signaturesSchema },
          404: NOT_FOUND,
        },
        handler: async ({ params, caller, raw }, ctx) => {
          const { name, digest } = params;
          await ctx.requirePull(raw, caller, name);
          await manifestOrNotFound(ctx.metadata, name, digest);
          const referrers = await ctx.metadata.listReferrers(name, digest);
          const tagged = [];
          // cosign's tag scheme: the digest with ':' made '-', plus .sig or .att.
          const base = digest.replace(':', '-');
          for (const [kind, suffix] of [
            ['signature', 'sig'],
            ['attestation', 'att'],
          ] as const) {
            const tag = `${base}.${suffix}`;
            const at = await ctx.metadata.resolveTag(name, tag);
            const manifest = at === undefined ? undefined : await ctx.metadata.getManifest(name, at);
            if (manifest !== undefined) tagged.push({ kind, tag, manifest: refOf(manifest) });
          }
          return {
            status: 200,
            body: { repository: name, digest, referrers: referrers.map(refOf), tagged },
          };
        },
      }),
      defineApiRoute({
        method: 'GET',
        path: '/api/v1/projects/{name}/gates',
        operationId: 'getProjectGates',
        summary: "A project's effective pull gates, immutable tags and VEX documents",
        description:
          "From the first entry of the policy's server.projects whose name matches the project, with the rules it names expanded. The caller must be able to see the project.",
        tag: 'projects',
        access: 'authenticated',
        robots: true,
        params: z.strictObject({ name: projectNameSchema }),
        responses: {
          200: { description: 'The gates', schema: gatesSchema },
          404: errorDoc('No such project, or one the caller may not see (NOT_FOUND)'),
        },
        handler: async ({ params, caller }, ctx) => {
          await ctx.visibleProject(caller, params.name);
          const entry = applicableProjectEntry(opts.policy, params.name);
          const rules = opts.policy?.rules ?? [];
          const pull =
            entry?.pull === undefined
              ? undefined
              : {
                  rules: entry.pull.rules.flatMap((n) => {
                    const rule = rules.find((r) => r.name === n);
                    return rule === undefined ? [] : [ruleView(rule)];
                  }),
                  whileScanning: entry.pull.whileScanning,
                };
          return {
            status: 200,
            body: {
              project: params.name,
              ...(entry === undefined ? {} : { entry: entry.name }),
              ...(pull === undefined ? {} : { pull }),
              immutableTags: entry?.immutableTags ?? [],
              vex: (entry?.vex ?? []).map((p) => p.split(/[\\/]/).pop() ?? p),
            },
          };
        },
      }),
    ],
  };
}
