import { GoStruct, type GoJson } from '../cosign/gojson.js';

/**
 * A parsed JSON value as Go holds it after `json.Unmarshal` into `interface{}`: objects become
 * maps (written back with sorted keys), null becomes nil. GoStruct values pass through, so that
 * typed predicates keep their struct field order. Anything else that is not JSON (functions,
 * symbols, bigints) becomes nil, as JSON.stringify would drop it.
 */
export function jsonToGoJson(value: unknown): GoJson {
  // JSON null (typeof 'object', falsy) and undefined are both Go's nil.
  if (value === undefined || (typeof value === 'object' && !value)) return undefined;
  if (value instanceof GoStruct) return value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => jsonToGoJson(v));
  if (typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key from JSON.parse stays a key.
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonToGoJson(v)]),
    );
  }
  return undefined;
}
