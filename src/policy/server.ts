import { z } from 'zod';

/**
 * The policy file's `server:` section: how `portcullis serve --config FILE` runs the registry,
 * and the per-project gates it enforces. The gates name rules of the top-level `rules` list
 * (kinds `vulnerabilities` and `requireSignature`), so a rule is written once and enforced at
 * admission, in CI and on pull alike.
 */

const MAX_LIST = 1000;
const MAX_STRING = 1024;

const pathText = z.string().trim().min(1, 'must not be empty').max(4096);

/** `30s`, `15m`, `2h`, `7d`. */
export const DURATION_RE = /^(\d{1,6})(s|m|h|d)$/;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Seconds in a duration written as `<n><s|m|h|d>`; undefined when it is not one. */
export function durationSeconds(value: string): number | undefined {
  const m = DURATION_RE.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

const durationSchema = z.string().regex(DURATION_RE, 'expected a duration such as 30m, 2h or 7d').meta({
  id: 'Duration',
  description: 'A duration: a whole number and a unit, s, m, h or d (30m, 2h, 7d).',
});

// Project names are lower-case path components; `*` and `?` make a glob.
const projectGlobSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[a-z0-9*?][a-z0-9._\-*?]*$/, 'expected a project name or glob such as team-* (lower case)');

// Tag globs: `*` any run of tag characters, `?` one.
const tagGlobSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.\-*?]+$/, 'expected a tag or tag glob such as v* or release-?.?');

const ruleRefSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected the name of a rule in the rules list');

export const serverProjectSchema = z
  .strictObject({
    name: projectGlobSchema.describe(
      'The project (first path component of a repository) or a glob (* matches every project). The first entry that matches a project applies to it.',
    ),
    pull: z
      .strictObject({
        rules: z
          .array(ruleRefSchema)
          .max(MAX_LIST)
          .describe(
            'Names of rules in the rules list (kinds vulnerabilities and requireSignature) a manifest must pass to be pulled. Each keeps its mode and onError; match does not apply in the registry.',
          ),
        whileScanning: z
          .enum(['deny', 'allow'])
          .default('deny')
          .describe(
            'What a pull gets while a vulnerabilities rule waits for the scan of the manifest: deny (the default, as a gate that fails closed) or allow.',
          ),
      })
      .optional()
      .describe('Pull gates for the project.'),
    immutableTags: z
      .array(tagGlobSchema)
      .max(MAX_LIST)
      .optional()
      .describe('Tags that, once pushed, may not be moved to another manifest or deleted.'),
    vex: z
      .array(pathText)
      .max(MAX_LIST)
      .optional()
      .describe(
        'OpenVEX documents whose not_affected and fixed statements remove findings before the pull gates judge them (paths relative to the policy file).',
      ),
  })
  .describe("One project's gates.");

export const serverSectionSchema = z
  .strictObject({
    listen: z
      .string()
      .max(300)
      .optional()
      .describe('ADDR:PORT to listen on (default 127.0.0.1:5000); the --listen flag wins over it.'),
    dataDir: pathText
      .optional()
      .describe(
        'Where blobs, uploads and registry.db live (default ./.portcullis, relative to the policy file).',
      ),
    service: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Service name in token challenges and tokens (default portcullis).'),
    tokenRealm: z
      .string()
      .max(MAX_STRING)
      .regex(/^https?:\/\/\S+$/, 'expected an http(s) URL')
      .optional()
      .describe('The token endpoint named in challenges.'),
    tls: z
      .strictObject({ cert: pathText, key: pathText })
      .optional()
      .describe('Serve HTTPS with this PEM certificate chain and key.'),
    allowPlainHttp: z
      .boolean()
      .optional()
      .describe('Listen on a non-loopback address without TLS (behind a TLS-terminating proxy).'),
    vulnerabilityDb: pathText
      .optional()
      .describe(
        'The vulnerability database scan-on-push matches against (default: the one `portcullis db update` writes).',
      ),
    trustedRoot: pathText
      .optional()
      .describe(
        'A Sigstore trusted_root.json (relative to the policy file) for the keyless signers of requireSignature rules in pull gates; without it they fail closed. The --trusted-root flag wins over it.',
      ),
    scan: z
      .strictObject({
        onPush: z.boolean().default(true).describe('Scan every image manifest after it is pushed.'),
        concurrency: z.number().int().min(1).max(64).default(2).describe('Scans running at once.'),
      })
      .optional(),
    gc: z
      .strictObject({
        gracePeriod: durationSchema
          .default('2h')
          .describe(
            'Blobs and upload sessions younger than this are never collected (uploads may be in flight).',
          ),
      })
      .optional(),
    projects: z.array(serverProjectSchema).max(MAX_LIST).optional(),
  })
  .describe('Settings for `portcullis serve --config` (the registry).');

export type ServerSection = z.output<typeof serverSectionSchema>;
export type ServerProject = z.output<typeof serverProjectSchema>;
