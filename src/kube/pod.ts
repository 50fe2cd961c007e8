// Walking the pod spec of every workload kind, for the workload rules (PC-K8S-001..039).
// admission/images.ts has its own, narrower walk (images only, zod-validated, throws on bad
// shapes); kube may not import admission, and an audit must never throw on a malformed object,
// so this one reads any JSON value and skips what does not have the expected shape. Which kinds
// have pods, and where, is one table for both: POD_TEMPLATE_PATHS in policy.
import { POD_TEMPLATE_PATHS } from '../policy/index.js';
import type { PathSegment } from './types.js';

/** A plain JSON object, or undefined for anything else. */
export function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  // typeof null is 'object'; `instanceof Object` rules it out without naming it.
  return value instanceof Object && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** An array, or an empty one for anything else. */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string, or undefined for anything else. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A boolean, or undefined for anything else (YAML `"true"` strings are not booleans to the API server). */
export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** An integer, or undefined for anything else. */
export function asInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** The value at `path` inside `value`, or undefined where the path leaves the object. */
export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let v = value;
  for (const p of path) {
    if (typeof p === 'number') v = Array.isArray(v) ? (v as unknown[])[p] : undefined;
    else v = asRecord(v)?.[p];
    if (v === undefined) return undefined;
  }
  return v;
}

/** The kinds whose pods {@link podOf} reads. */
export const POD_KINDS: readonly string[] = Object.keys(POD_TEMPLATE_PATHS);

/** Which list of the pod spec a container sits in. */
export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

const CONTAINER_LISTS: readonly ContainerList[] = ['containers', 'initContainers', 'ephemeralContainers'];

/** One container of a pod, with its path in the object and its effective user settings. */
export type PodContainer = {
  readonly list: ContainerList;
  readonly index: number;
  /** The container's name, or `containers[0]` when it has none. */
  readonly name: string;
  /** Path of the container inside the object, e.g. ['spec', 'template', 'spec', 'containers', 0]. */
  readonly path: readonly PathSegment[];
  readonly container: Readonly<Record<string, unknown>>;
  /** The container's securityContext (empty when unset). */
  readonly securityContext: Readonly<Record<string, unknown>>;
};

/** The pod of a Pod or a workload's pod template. */
export type PodView = {
  readonly kind: string;
  /** Path of the pod template (metadata and spec), [] for a Pod. */
  readonly templatePath: readonly PathSegment[];
  /** Path of the pod spec, e.g. ['spec', 'template', 'spec']. */
  readonly specPath: readonly PathSegment[];
  readonly spec: Readonly<Record<string, unknown>>;
  /** The pod's securityContext (empty when unset). */
  readonly securityContext: Readonly<Record<string, unknown>>;
  /** The pod template's metadata (the object's own for a Pod); empty when unset. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly containers: readonly PodContainer[];
};

/**
 * The pod of a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
 * ReplicationController or PodTemplate; undefined for other kinds and for objects without a
 * pod spec. Never throws: containers that are not objects are skipped.
 */
export function podOf(kind: string, object: unknown): PodView | undefined {
  const templatePath = POD_TEMPLATE_PATHS[kind];
  if (templatePath === undefined) return undefined;
  const template = asRecord(valueAt(object, templatePath));
  const spec = asRecord(template?.['spec']);
  if (template === undefined || spec === undefined) return undefined;
  const specPath = [...templatePath, 'spec'];
  const containers: PodContainer[] = [];
  for (const list of CONTAINER_LISTS) {
    asArray(spec[list]).forEach((raw, index) => {
      const container = asRecord(raw);
      if (container === undefined) return;
      containers.push({
        list,
        index,
        name: asString(container['name']) ?? `${list}[${index}]`,
        path: [...specPath, list, index],
        container,
        securityContext: asRecord(container['securityContext']) ?? {},
      });
    });
  }
  return {
    kind,
    templatePath,
    specPath,
    spec,
    securityContext: asRecord(spec['securityContext']) ?? {},
    metadata: asRecord(template['metadata']) ?? {},
    containers,
  };
}

/** How a container is named in messages: `container "app"`, `init container "setup"`. */
export function describeContainer(c: PodContainer): string {
  const what =
    c.list === 'containers'
      ? 'container'
      : c.list === 'initContainers'
        ? 'init container'
        : 'ephemeral container';
  return `${what} "${c.name}"`;
}

/**
 * A field of the effective security context: the container's value, else the pod's (for the
 * fields PodSecurityContext shares with SecurityContext: runAsUser, runAsGroup, runAsNonRoot,
 * seLinuxOptions, seccompProfile, windowsOptions), with the path where it was set.
 */
export function effectiveSetting(
  pod: PodView,
  c: PodContainer,
  field: string,
): { readonly value: unknown; readonly path: readonly PathSegment[] } | undefined {
  const own = c.securityContext[field];
  if (own !== undefined) return { value: own, path: [...c.path, 'securityContext', field] };
  const podValue = pod.securityContext[field];
  if (podValue !== undefined) return { value: podValue, path: [...pod.specPath, 'securityContext', field] };
  return undefined;
}

/** The ServiceAccount a pod runs as: serviceAccountName, the deprecated serviceAccount, or `default`. */
export function serviceAccountName(pod: PodView): string {
  const name = asString(pod.spec['serviceAccountName']) ?? asString(pod.spec['serviceAccount']);
  return name === undefined || name === '' ? 'default' : name;
}

/** Names from a list of `{ name }` references (imagePullSecrets), skipping malformed entries. */
export function referenceNames(value: unknown): string[] {
  return asArray(value).flatMap((r) => {
    const name = asString(asRecord(r)?.['name']);
    return name === undefined || name === '' ? [] : [name];
  });
}

/** One `env` entry of a container, with its index (malformed entries skipped). */
export type EnvEntry = {
  readonly index: number;
  readonly name: string;
  readonly entry: Readonly<Record<string, unknown>>;
};

/** The container's `env` entries that are objects, in order. */
export function envEntries(c: PodContainer): EnvEntry[] {
  return asArray(c.container['env']).flatMap((raw, index) => {
    const entry = asRecord(raw);
    return entry === undefined ? [] : [{ index, name: asString(entry['name']) ?? '?', entry }];
  });
}

/** One image a pod pulls: a container's, or an image volume's (`volumes[].image.reference`). */
export type PodImage = {
  /** For messages: `container "app"`, `image volume "models"`. */
  readonly label: string;
  readonly image: string;
  readonly path: readonly PathSegment[];
};

/** Every image the pod pulls (containers without an image pull nothing and are skipped). */
export function podImages(pod: PodView): PodImage[] {
  const fromContainers = pod.containers.flatMap((c) => {
    const image = asString(c.container['image']);
    return image === undefined || image === ''
      ? []
      : [{ label: describeContainer(c), image, path: [...c.path, 'image'] }];
  });
  const fromVolumes = asArray(pod.spec['volumes']).flatMap((raw, i) => {
    const volume = asRecord(raw);
    const image = asString(asRecord(volume?.['image'])?.['reference']);
    if (image === undefined || image === '') return [];
    const name = asString(volume?.['name']) ?? `volumes[${i}]`;
    return [
      { label: `image volume "${name}"`, image, path: [...pod.specPath, 'volumes', i, 'image', 'reference'] },
    ];
  });
  return [...fromContainers, ...fromVolumes];
}

/**
 * True when two objects can be in the same namespace. A manifest without a namespace lands in
 * whatever namespace it is applied to (`kubectl apply -n`), so it matches any.
 */
export function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

/**
 * True for a Windows pod (`spec.os.name: windows`): the Linux security settings (runAsNonRoot,
 * allowPrivilegeEscalation, readOnlyRootFilesystem, capabilities) do not apply to it, and the
 * Pod Security Standards exempt it from them.
 */
export function isWindowsPod(pod: PodView): boolean {
  return asString(asRecord(pod.spec['os'])?.['name']) === 'windows';
}
