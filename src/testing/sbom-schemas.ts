// Test-only: validators for the official JSON schemas. CycloneDX 1.6 (with the SPDX license-id,
// JSF and cryptography-defs schemas it references) is read from @cyclonedx/cyclonedx-library's
// res/schema; SPDX 2.3 is src/sbom/testdata/spdx-schema-2.3.json (see SOURCES.md there).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS: its plugin is module.exports and, for typed importers, `.default`.
const addFormats = addFormatsModule.default;
// ajv-formats-draft2019 ships no types; its one export adds the draft 2019-09 formats to an Ajv.
const addFormats2019 = require('ajv-formats-draft2019') as (
  ajv: Ajv,
  options?: { formats?: string[] },
) => Ajv;

/** Where the CycloneDX library keeps the CycloneDX specification's schemas. */
export const cdxSchemaDir = path.join(
  path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);

function loadJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** A validator for CycloneDX 1.6 JSON. */
export function cycloneDxValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  addFormats2019(ajv, { formats: ['idn-email', 'iri-reference'] });
  // bom-1.6 refers to its companions relative to its $id, by the file names the library gives
  // them (its res/schema/README.md lists these renames).
  for (const file of [
    'spdx.SNAPSHOT.schema.json',
    'jsf-0.82.SNAPSHOT.schema.json',
    'cryptography-defs.SNAPSHOT.schema.json',
  ]) {
    ajv.addSchema(loadJson(path.join(cdxSchemaDir, file)), `http://cyclonedx.org/schema/${file}`);
  }
  return ajv.compile(loadJson(path.join(cdxSchemaDir, 'bom-1.6.SNAPSHOT.schema.json')));
}

/** A validator for SPDX 2.3 JSON (the schema is draft 2019-09). */
export function spdxValidator(): ValidateFunction {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(
    loadJson(path.join(import.meta.dirname, '..', 'sbom', 'testdata', 'spdx-schema-2.3.json')),
  );
}

/** The first validation errors, for a failing assertion's message. */
export function errorsOf(v: ValidateFunction): string {
  return JSON.stringify(v.errors?.slice(0, 5), undefined, 1);
}
