// Test-only: validators for the scan reports' schemas (our scan JSON schema, the official
// SARIF 2.1.0 schema stored in src/scan/report/testdata).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const reportDir = path.join(import.meta.dirname, '..', 'scan', 'report');
// ajv-formats is CommonJS: its plugin is module.exports and, for typed importers, `.default`.
const addFormats = addFormatsModule.default;

function load(file: string): object {
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}

export function scanJsonValidator(): ValidateFunction {
  return new Ajv({ strict: true, allErrors: true }).compile(
    load(path.join(reportDir, 'scan-result.schema.json')),
  );
}

export function sarifValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(load(path.join(reportDir, 'testdata', 'sarif-schema-2.1.0.json')));
}
