import { z } from 'zod';
import { errorMessage, truncateForMessage } from '../../core/index.js';
import { GateError } from './errors.js';
import type { VexProduct, VexStatement } from './types.js';

// OpenVEX 0.2.0 (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md). Only the fields the
// gate uses are checked; unknown fields are allowed, as the spec lets documents carry extensions.

/** Largest VEX document read (16 MiB). */
export const MAX_VEX_BYTES = 16 << 20;

const text = z.string().min(1).max(4096);

const componentSchema = z.looseObject({
  '@id': text.optional(),
  identifiers: z.record(z.string(), z.string()).optional(),
  hashes: z.record(z.string(), z.string()).optional(),
});

// OpenVEX hash algorithm names (spec, "Component") → OCI digest algorithms.
const HASH_ALGORITHMS: Readonly<Record<string, string>> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

const productSchema = componentSchema.extend({
  subcomponents: z.array(componentSchema).max(10_000).optional(),
});

const statementSchema = z
  .looseObject({
    vulnerability: z.looseObject({
      '@id': text.optional(),
      name: text,
      aliases: z.array(text).max(1000).optional(),
    }),
    products: z.array(productSchema).max(10_000).optional(),
    status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
    justification: z
      .enum([
        'component_not_present',
        'vulnerable_code_not_present',
        'vulnerable_code_not_in_execute_path',
        'vulnerable_code_cannot_be_controlled_by_adversary',
        'inline_mitigations_already_exist',
      ])
      .optional(),
    impact_statement: z.string().max(65_536).optional(),
    status_notes: z.string().max(65_536).optional(),
    timestamp: z.string().max(64).optional(),
  })
  // The spec: a not_affected statement MUST have a justification or an impact statement.
  .refine(
    (s) => s.status !== 'not_affected' || s.justification !== undefined || s.impact_statement !== undefined,
    {
      error: 'a not_affected statement needs a justification or an impact_statement',
    },
  );

const documentSchema = z.looseObject({
  '@context': z
    .string()
    .regex(/^https:\/\/openvex\.dev\/ns(\/v0\.2\.0)?$/, 'expected https://openvex.dev/ns/v0.2.0'),
  '@id': z.string().max(4096).optional(),
  timestamp: z.string().max(64).optional(),
  statements: z.array(statementSchema).max(100_000),
});

/** The ids a component is named by: `@id`, its identifiers (purl, cpe) and its hashes as digests (`sha256:…`). */
function idsOf(c: z.infer<typeof componentSchema>): string[] {
  const digests = Object.entries(c.hashes ?? {}).flatMap(([alg, hex]) => {
    const oci = HASH_ALGORITHMS[alg];
    return oci === undefined ? [] : [`${oci}:${hex.toLowerCase()}`];
  });
  return [
    ...new Set([
      ...(c['@id'] === undefined ? [] : [c['@id']]),
      ...Object.values(c.identifiers ?? {}),
      ...digests,
    ]),
  ];
}

/**
 * Reads an OpenVEX 0.2.0 JSON document into statements for `applyPolicy`. A statement's products
 * are named by `@id` and `identifiers` (purl, cpe); its vulnerability by name, `@id` and aliases.
 *
 * @throws GateError VEX_INVALID when the text is not JSON or not an OpenVEX 0.2.0 document.
 */
export function parseOpenVex(input: string, fileName = 'VEX document'): VexStatement[] {
  if (Buffer.byteLength(input, 'utf8') > MAX_VEX_BYTES) {
    throw new GateError('VEX_INVALID', `${fileName}: larger than ${MAX_VEX_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(input);
  } catch (err) {
    throw new GateError('VEX_INVALID', `${fileName}: not JSON: ${truncateForMessage(errorMessage(err))}`, {
      cause: err,
    });
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map(String).join('.');
    throw new GateError(
      'VEX_INVALID',
      `${fileName}: not an OpenVEX 0.2.0 document${path === '' ? '' : ` at ${path}`}: ${truncateForMessage(
        issue?.message ?? 'invalid',
      )}`,
      { cause: parsed.error },
    );
  }
  const doc = parsed.data;
  return doc.statements.map((s) => {
    const v = s.vulnerability;
    const products: VexProduct[] = (s.products ?? []).map((p) => ({
      ids: idsOf(p),
      subcomponents: (p.subcomponents ?? []).map(idsOf),
    }));
    const timestamp = s.timestamp ?? doc.timestamp;
    return {
      vulnerability: [
        ...new Set([v.name, ...(v['@id'] === undefined ? [] : [v['@id']]), ...(v.aliases ?? [])]),
      ],
      products,
      status: s.status,
      ...(s.justification === undefined ? {} : { justification: s.justification }),
      ...(s.impact_statement === undefined ? {} : { impactStatement: s.impact_statement }),
      ...(s.status_notes === undefined ? {} : { statusNotes: s.status_notes }),
      ...(timestamp === undefined ? {} : { timestamp }),
      ...(doc['@id'] === undefined ? {} : { document: doc['@id'] }),
    };
  });
}
