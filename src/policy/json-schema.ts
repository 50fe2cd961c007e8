import { z } from 'zod';
import { policySchema } from './schema.js';

/**
 * The policy file's JSON Schema (draft 2020-12), generated from the zod schema so the two
 * cannot drift; published as `docs/policy.schema.json` for editors (yaml-language-server).
 * Cross-field checks (unique rule names, exemption references, prefix syntax) are only in
 * the loader: JSON Schema cannot say them, so the loader stays the authority.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema: generated.$schema,
    title: 'Portcullis policy (portcullis.yaml)',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}
