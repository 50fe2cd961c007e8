import {
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Node,
  type ParseOptions,
  type DocumentOptions,
  type SchemaOptions,
  type Tags,
} from 'yaml';
import { errorMessage, truncateForMessage } from '../../core/index.js';
import type { KubeResource, LoadedObject, ObjectSource, PathSegment } from '../types.js';
import { ManifestError } from './errors.js';

/** Largest manifest input read (8 MiB): a bundle, not a cluster dump. */
export const MAX_MANIFEST_BYTES = 8 << 20;
/** Most objects one load returns (List items count one each). */
export const MAX_MANIFEST_OBJECTS = 10_000;
/** Most YAML documents one input may hold, empty ones included. */
export const MAX_MANIFEST_DOCUMENTS = 10_000;
/**
 * Most alias expansions per document. Aliases are legitimate YAML (Helm charts use anchors),
 * but expanding them without a cap lets a few hundred bytes ("billion laughs") become gigabytes.
 */
export const MAX_YAML_ALIASES = 100;

/** One manifest text and the name it is reported under (a path, or `-` for stdin). */
export type ManifestInput = {
  readonly file: string;
  readonly text: string;
  /**
   * Found by walking a directory rather than named: a document in it that is valid YAML but no
   * Kubernetes object (a Helm `Chart.yaml`, a `values.yaml`, a JSON report) is skipped, and
   * reported through {@link LoadOptions.onSkipped}, instead of failing the load.
   */
  readonly found?: boolean;
};

/** Caps and YAML dialect for {@link loadManifests}; every field has a safe default. */
export type LoadOptions = {
  /** Per input, in UTF-8 bytes (default {@link MAX_MANIFEST_BYTES}). */
  readonly maxBytes?: number;
  /** Across all inputs (default {@link MAX_MANIFEST_OBJECTS}). */
  readonly maxObjects?: number;
  /** Per input (default {@link MAX_MANIFEST_DOCUMENTS}). */
  readonly maxDocuments?: number;
  /** Per document (default {@link MAX_YAML_ALIASES}). */
  readonly maxAliases?: number;
  /**
   * `1.1` (default) reads scalars as kubectl does (sigs.k8s.io/yaml over go-yaml v2): `yes`,
   * `on`, `off` are booleans and `0755` is octal, so a rule sees the value the API server would
   * get. `1.2` reads them as the YAML 1.2 core schema does.
   */
  readonly yamlVersion?: '1.1' | '1.2';
  /** Told of each document of a {@link ManifestInput.found} input that was skipped, and why. */
  readonly onSkipped?: (message: string) => void;
};

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

// go-yaml v2 keeps timestamps as strings when decoding into interface{} and has no base-60
// numbers (`1:20`), so neither is turned into something else here; the rest of YAML 1.1's
// scalars (booleans, octal and binary integers) match what kubectl sends.
function kubectlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    if (typeof t === 'string') return t !== 'timestamp' && t !== 'intTime' && t !== 'floatTime';
    if (t.tag === TIMESTAMP_TAG) return false;
    return !('format' in t && t.format === 'TIME');
  });
}

function where(s: Pick<ObjectSource, 'file' | 'document' | 'item'>): string {
  return `${s.file} document ${s.document}${s.item !== undefined ? ` item ${s.item}` : ''}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && Boolean(v) && !Array.isArray(v);
}

function metadataString(object: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const meta = object['metadata'];
  if (!isRecord(meta)) return undefined;
  const v = meta[key];
  return typeof v === 'string' ? v : undefined;
}

/** The object's apiVersion, kind, namespace and name (generateName when it has no name). */
export function resourceOf(object: Readonly<Record<string, unknown>>): KubeResource {
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  const namespace = metadataString(object, 'namespace');
  const name = metadataString(object, 'name') ?? metadataString(object, 'generateName') ?? '';
  return { apiVersion, kind, ...(namespace === undefined ? {} : { namespace }), name };
}

/**
 * The line of `path` below `root`: a mapping entry's key line (where editors and other
 * linters point), a list item's first line, or the nearest ancestor's when the path leaves
 * the tree (a merge key, an alias, a field the object does not have).
 */
function lineBelow(root: Node, path: readonly PathSegment[], lineCounter: LineCounter): number {
  let node: unknown = root;
  let line = startLine(root, lineCounter);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (pair === undefined) break;
      if (isNode(pair.key)) line = startLine(pair.key, lineCounter, line);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      line = startLine(item, lineCounter, line);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function startLine(node: unknown, lineCounter: LineCounter, fallback = 1): number {
  if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  return fallback;
}

function makeObject(
  source: ObjectSource,
  object: Record<string, unknown>,
  node: Node,
  lineCounter: LineCounter,
): LoadedObject {
  return {
    source,
    resource: resourceOf(object),
    object,
    lineOf: (path) => lineBelow(node, path, lineCounter),
  };
}

function parseOptions(
  version: '1.1' | '1.2',
  lineCounter: LineCounter,
): ParseOptions & DocumentOptions & SchemaOptions {
  return {
    lineCounter,
    prettyErrors: true,
    // kubectl refuses duplicate keys too ("mapping key already defined").
    uniqueKeys: true,
    ...(version === '1.1' ? { version: '1.1', customTags: kubectlTags } : { version: '1.2' }),
  };
}

/**
 * The Kubernetes objects in manifest texts (YAML, several documents per text, or JSON, which
 * the YAML parser reads too): each document's object, or a List's items (`v1 List`,
 * `DeploymentList`, any `*List` with `items`) in place of the List. Empty documents (a bare
 * `---`, Helm's comment-only ones) are skipped. Each object knows its file, document, List
 * item and line, and maps a path inside it to a line ({@link LoadedObject.lineOf}).
 *
 * @throws ManifestError MANIFESTS_INVALID naming the file, document (and item) of text that is
 *   not YAML, a document that is not a mapping, an object without a kind, or more alias
 *   expansions than the cap; MANIFESTS_TOO_LARGE over a byte, document or object cap.
 */
export function loadManifests(inputs: readonly ManifestInput[], options: LoadOptions = {}): LoadedObject[] {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const maxObjects = options.maxObjects ?? MAX_MANIFEST_OBJECTS;
  const maxDocuments = options.maxDocuments ?? MAX_MANIFEST_DOCUMENTS;
  const maxAliases = options.maxAliases ?? MAX_YAML_ALIASES;
  const out: LoadedObject[] = [];
  const add = (obj: LoadedObject) => {
    if (out.length >= maxObjects) {
      throw new ManifestError(
        'MANIFESTS_TOO_LARGE',
        `${where(obj.source)}: more than ${maxObjects} objects; split the manifests`,
      );
    }
    out.push(obj);
  };
  for (const { file, text, found } of inputs) {
    // A document that parses but is no Kubernetes object: an error in a file the user named,
    // a note for one a directory walk picked up.
    const notAnObject = (message: string): void => {
      if (found !== true) throw new ManifestError('MANIFESTS_INVALID', message);
      options.onSkipped?.(`${message}; skipped`);
    };
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new ManifestError(
        'MANIFESTS_TOO_LARGE',
        `${file}: ${bytes} bytes, larger than the ${maxBytes}-byte limit for manifests`,
      );
    }
    const lineCounter = new LineCounter();
    const docs = Array.from(parseAllDocuments(text, parseOptions(options.yamlVersion ?? '1.1', lineCounter)));
    if (docs.length > maxDocuments) {
      throw new ManifestError(
        'MANIFESTS_TOO_LARGE',
        `${file}: ${docs.length} documents, more than the limit of ${maxDocuments}`,
      );
    }
    for (const [i, doc] of docs.entries()) {
      const document = i + 1;
      const problem = doc.errors[0];
      if (problem !== undefined) {
        const pos = problem.linePos?.[0];
        const first = (problem.message.split('\n')[0] ?? problem.message).replace(
          / at line \d+, column \d+:?$/,
          '',
        );
        throw new ManifestError(
          'MANIFESTS_INVALID',
          `${file} document ${document}: not valid YAML: ${truncateForMessage(first, 300)}${pos === undefined ? '' : ` (${file}:${pos.line}:${pos.col})`}`,
          { cause: problem },
        );
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: maxAliases });
      } catch (err) {
        // An alias bomb is refused as invalid input (exit 2), not as a large one: the text is small.
        throw new ManifestError(
          'MANIFESTS_INVALID',
          `${file} document ${document}: ${truncateForMessage(errorMessage(err), 300)}`,
          { cause: err },
        );
      }
      // YAML null (a document with nothing or only comments in it) is skipped, as kubectl does.
      if (value == undefined) continue;
      const root = doc.contents;
      const source: ObjectSource = { file, document, line: startLine(root, lineCounter) };
      if (!isRecord(value) || !isMap(root)) {
        notAnObject(
          `${where(source)}: expected a Kubernetes object (a mapping with apiVersion and kind), got ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}`,
        );
        continue;
      }
      const kind = value['kind'];
      if (typeof kind !== 'string' || kind === '') {
        notAnObject(`${where(source)}: the object has no kind`);
        continue;
      }
      const items = value['items'];
      if (kind.endsWith('List') && Array.isArray(items)) {
        const itemsNode = root.get('items', true);
        items.forEach((item: unknown, j) => {
          const itemNode = isSeq(itemsNode) ? itemsNode.items[j] : undefined;
          const itemSource: ObjectSource = {
            file,
            document,
            item: j + 1,
            line: startLine(itemNode, lineCounter, source.line),
          };
          if (!isRecord(item)) {
            throw new ManifestError(
              'MANIFESTS_INVALID',
              `${where(itemSource)}: expected a Kubernetes object`,
            );
          }
          if (typeof item['kind'] !== 'string' || item['kind'] === '') {
            throw new ManifestError('MANIFESTS_INVALID', `${where(itemSource)}: the object has no kind`);
          }
          add(makeObject(itemSource, item, isNode(itemNode) ? itemNode : root, lineCounter));
        });
        continue;
      }
      add(makeObject(source, value, root, lineCounter));
    }
  }
  return out;
}

/** `file document 2 item 3`: how messages name where an object came from. */
export function formatSource(source: Pick<ObjectSource, 'file' | 'document' | 'item'>): string {
  return where(source);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A path inside an object as people write it: `spec.template.spec.containers[0].env[2].value`;
 * keys that are not plain names are quoted, `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`.
 */
export function formatObjectPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
