import { asArray, asRecord, asString, podOf } from '../pod.js';
import type { ObjectRule, PathSegment, RuleHit } from '../types.js';
import { redact, secretAssignments, secretPair } from './secret-values.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
// Checksums of config (Helm's `checksum/secret`) and hashes are not the secret itself.
const DIGEST_KEY = /checksum|hash|digest/i;
// Paths into a secret store (Vault's agent-inject-secret-x: "database/creds/app") name a
// secret, they do not hold one.
const STORE_PATH = /^[\w.-]+(?:\/[\w.-]+)+$/;
/** At most this many findings per last-applied annotation: the first ones say enough. */
const MAX_INNER = 20;

/** Dotted path for messages: `spec.template.spec.containers[0].env[1].value`. */
function dotted(path: readonly PathSegment[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Credentials inside the JSON of a last-applied-configuration: [inner path, description]. */
function innerSecrets(applied: unknown): [string, string][] {
  const root = asRecord(applied);
  if (root === undefined) return [];
  const kind = asString(root['kind']);
  const out: [string, string][] = [];
  const visit = (
    value: unknown,
    path: PathSegment[],
    parent: Readonly<Record<string, unknown>> | undefined,
  ) => {
    if (out.length >= MAX_INNER) return;
    if (Array.isArray(value)) {
      asArray(value).forEach((v, i) => {
        visit(v, [...path, i], undefined);
      });
      return;
    }
    const record = asRecord(value);
    if (record !== undefined) {
      for (const [k, v] of Object.entries(record)) visit(v, [...path, k], record);
      return;
    }
    const text = asString(value);
    const last = path[path.length - 1];
    if (text === undefined || typeof last !== 'string' || text === '') return;
    if (kind === 'Secret' && path.length === 2 && (path[0] === 'data' || path[0] === 'stringData')) {
      out.push([dotted(path), `the Secret's value ${redact(text)}`]);
      return;
    }
    // An env entry's value belongs to its name.
    const name = last === 'value' && parent !== undefined ? (asString(parent['name']) ?? last) : last;
    const why = secretPair(name, text) ?? secretAssignments(text)[0]?.[1];
    if (why !== undefined) out.push([dotted(path), why]);
  };
  visit(root, [], undefined);
  return out;
}

/** Credentials in annotations, including the copy kubectl apply keeps of the whole object. */
export const annotationSecret: ObjectRule = {
  meta: {
    id: 'PC-K8S-004',
    severity: 'high',
    title: 'Secret in an annotation',
    hint: 'Remove the credential from the annotation; for last-applied-configuration, apply Secrets with server-side apply (kubectl apply --server-side) or create them from an external store so no copy is kept in metadata.',
    docs: 'docs/rules/PC-K8S-004.md',
    equivalents: {},
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    const places: (readonly PathSegment[])[] = [['metadata']];
    if (pod !== undefined && pod.templatePath.length > 0) places.push([...pod.templatePath, 'metadata']);
    for (const place of places) {
      const meta = place.length === 1 ? asRecord(object.object['metadata']) : pod?.metadata;
      const annotations = asRecord(meta?.['annotations']);
      if (annotations === undefined) continue;
      for (const [key, raw] of Object.entries(annotations)) {
        const value = asString(raw);
        if (value === undefined || DIGEST_KEY.test(key)) continue;
        const path = [...place, 'annotations', key];
        if (key === LAST_APPLIED) {
          let applied: unknown;
          try {
            applied = JSON.parse(value);
          } catch {
            continue; // not ours to validate; kubectl rewrites it on the next apply
          }
          for (const [inner, why] of innerSecrets(applied)) {
            yield {
              path,
              message: `annotation ${LAST_APPLIED} keeps a credential at ${inner} (${why})`,
            } satisfies RuleHit;
          }
          continue;
        }
        const name = key.slice(key.lastIndexOf('/') + 1);
        if (STORE_PATH.test(value.trim())) continue;
        const why = secretPair(name, value) ?? secretAssignments(value)[0]?.[1];
        if (why !== undefined) {
          yield { path, message: `annotation ${key} holds a credential (${why})` } satisfies RuleHit;
        }
      }
    }
  },
};
