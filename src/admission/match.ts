import { DOCKER_HUB_REGISTRY, tryParseImageRef } from '../imageref/index.js';
import type { ImageRef } from '../imageref/index.js';

/** A Kubernetes label selector (metav1.LabelSelector): matchLabels and matchExpressions, ANDed. */
export type LabelSelector = {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?:
    | readonly {
        readonly key: string;
        readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
        readonly values?: readonly string[] | undefined;
      }[]
    | undefined;
};

/**
 * True when `labels` satisfy `selector`, with the API server's semantics: an empty selector
 * matches everything; NotIn and DoesNotExist match when the key is absent.
 */
export function matchesLabelSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

function looksLikeRegistry(component: string): boolean {
  return component === 'localhost' || component.includes('.') || component.includes(':');
}

// Glob → anchored RegExp. `**` crosses "/", `*` and `?` stay within one path component,
// `[...]` is a character class; everything else is literal.
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*' && glob.charAt(i + 1) === '*') {
      out += '.*';
      i++;
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end > i + 1) {
        out += `[${glob.slice(i + 1, end).replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      } else {
        out += '\\[';
      }
    } else {
      out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`, 'u');
}

/**
 * Normalizes a glob's name part the way references are normalized, so `nginx` and
 * `docker.io/library/nginx` are the same glob: no registry means Docker Hub, and a
 * single-component Docker Hub name is under `library/`. A glob that starts with a wildcard
 * (such as `**`) is left as written: it already spans registries.
 */
function normalizeGlobName(name: string): string {
  if (name.startsWith('*')) return name;
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  let registry: string = DOCKER_HUB_REGISTRY;
  let rest = name;
  if (slash >= 0 && looksLikeRegistry(first)) {
    registry = first.toLowerCase();
    rest = name.slice(slash + 1);
    if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB_REGISTRY;
  }
  if (registry === DOCKER_HUB_REGISTRY && !rest.includes('/')) rest = `library/${rest}`;
  return `${registry}/${rest}`;
}

/** A compiled image glob; see docs/admission.md for the semantics. */
export type ImageGlob = {
  readonly glob: string;
  readonly test: (ref: ImageRef) => boolean;
};

/**
 * Compiles an image glob. The glob's name is normalized like a reference (`nginx` is
 * `docker.io/library/nginx`) and matched against the image's normalized `registry/repository`.
 * A glob with a tag (`:pattern` after the last "/") also matches the tag, an untagged image
 * counting as `latest`; a glob with `@pattern` also matches the digest.
 */
export function compileImageGlob(glob: string): ImageGlob {
  const at = glob.indexOf('@');
  const beforeDigest = at < 0 ? glob : glob.slice(0, at);
  const digestGlob = at < 0 ? undefined : glob.slice(at + 1);
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  // A ":" in the first component of a multi-component glob is a registry port, not a tag.
  const isTag = colon >= 0 && (lastSlash >= 0 || !looksLikeRegistry(beforeDigest));
  const name = isTag ? beforeDigest.slice(0, colon) : beforeDigest;
  const tagGlob = isTag ? beforeDigest.slice(colon + 1) : undefined;
  const nameRe = globToRegExp(normalizeGlobName(name));
  const tagRe = tagGlob === undefined ? undefined : globToRegExp(tagGlob);
  const digestRe = digestGlob === undefined ? undefined : globToRegExp(digestGlob);
  return {
    glob,
    test(ref) {
      const lower = ref.registry.toLowerCase();
      const registry = lower === 'registry-1.docker.io' ? DOCKER_HUB_REGISTRY : lower;
      if (!nameRe.test(`${registry}/${ref.repository}`)) return false;
      if (tagRe !== undefined) {
        const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
        if (tag === undefined || !tagRe.test(tag)) return false;
      }
      if (digestRe !== undefined && (ref.digest === undefined || !digestRe.test(ref.digest))) return false;
      return true;
    },
  };
}

// A policy's globs are few and fixed, and every admission request tests them again; compiling
// once keeps the hot path to a regex test. Bounded so a stream of distinct globs cannot grow it.
const compiled = new Map<string, ImageGlob>();
const MAX_COMPILED = 4096;

function cachedGlob(glob: string): ImageGlob {
  let g = compiled.get(glob);
  if (g === undefined) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    g = compileImageGlob(glob);
    compiled.set(glob, g);
  }
  return g;
}

/** True when the image reference matches any glob; an unparsable reference matches only `**`. */
export function matchesAnyImageGlob(image: string, globs: readonly string[]): boolean {
  const ref = tryParseImageRef(image);
  if (ref === undefined) return globs.includes('**');
  return globs.some((g) => cachedGlob(g).test(ref));
}
