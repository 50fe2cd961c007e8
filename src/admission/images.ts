import { z } from 'zod';
import { AdmissionError } from './errors.js';
import { POD_TEMPLATE_PATHS } from '../policy/index.js';

/** Where in the pod an image is pulled for. */
export type ImageSiteKind = 'container' | 'initContainer' | 'ephemeralContainer' | 'volume';

/** The effective user settings of one container (container-level fields win over the pod's). */
export type RunAs = {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
};

/** One image reference in an object, with the JSON pointer of its field (for JSONPatch). */
export type ImageSite = {
  readonly image: string;
  /** RFC 6901 pointer, e.g. `/spec/template/spec/initContainers/1/image`. */
  readonly path: string;
  readonly site: ImageSiteKind;
  /** Container or volume name. */
  readonly name: string;
  /** Effective runAsNonRoot/runAsUser; undefined for image volumes (nothing runs from them). */
  readonly runAs?: RunAs;
};

/** The pod-level facts rules need, from a Pod or a workload's pod template. */
export type PodImages = {
  /** The object's kind, e.g. `Deployment`. */
  readonly kind: string;
  /** Pointer to the pod spec, e.g. `/spec/template/spec`. */
  readonly specPath: string;
  /** Labels of the pod (the template's labels for a workload), for `objectSelector`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace?: string;
  readonly imagePullSecrets: readonly string[];
  readonly images: readonly ImageSite[];
};

/** The kinds whose pods {@link extractPodImages} reads. */
export const WORKLOAD_KINDS: readonly string[] = Object.keys(POD_TEMPLATE_PATHS);

const securityContextSchema = z
  .looseObject({
    runAsNonRoot: z.boolean().optional(),
    runAsUser: z.number().int().optional(),
  })
  .optional();

const containerSchema = z.looseObject({
  name: z.string().optional(),
  image: z.string().optional(),
  securityContext: securityContextSchema,
});

const podSpecSchema = z.looseObject({
  containers: z.array(containerSchema).optional(),
  initContainers: z.array(containerSchema).optional(),
  ephemeralContainers: z.array(containerSchema).optional(),
  volumes: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        image: z.looseObject({ reference: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  securityContext: securityContextSchema,
});

const metadataSchema = z
  .looseObject({
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .optional();

const recordSchema = z.record(z.string(), z.unknown());

function child(value: unknown, key: string): unknown {
  const parsed = recordSchema.safeParse(value);
  return parsed.success ? parsed.data[key] : undefined;
}

function pointer(parts: readonly (string | number)[]): string {
  // RFC 6901: "~" and "/" inside a token are escaped; our tokens are fixed keys and indices.
  return parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * Every image a Pod or workload pulls, with its JSON pointer and the pod facts rules need.
 * Returns undefined for kinds that run no pods (Role, ConfigMap, …).
 *
 * @throws AdmissionError ADMISSION_OBJECT_INVALID when the object does not have its kind's shape.
 */
export function extractPodImages(kind: string, object: unknown): PodImages | undefined {
  const templatePath = POD_TEMPLATE_PATHS[kind];
  if (templatePath === undefined) return undefined;
  let template: unknown = object;
  for (const key of templatePath) template = child(template, key);
  const specParts = [...templatePath, 'spec'];
  const rawSpec = child(template, 'spec');
  if (rawSpec === undefined) {
    throw new AdmissionError(
      'ADMISSION_OBJECT_INVALID',
      `the ${kind} has no pod spec at ${pointer(specParts)}; expected an object with containers`,
    );
  }
  const spec = podSpecSchema.safeParse(rawSpec);
  const meta = metadataSchema.safeParse(child(template, 'metadata'));
  const objectMeta = metadataSchema.safeParse(child(object, 'metadata'));
  if (!spec.success || !meta.success || !objectMeta.success) {
    const issue = [spec, meta, objectMeta].flatMap((r) => (r.success ? [] : r.error.issues))[0];
    const where = issue === undefined ? '' : ` at ${pointer(issue.path.map((p) => String(p)))}`;
    throw new AdmissionError(
      'ADMISSION_OBJECT_INVALID',
      `the ${kind} does not have a valid pod spec${where}: ${issue?.message ?? 'unexpected shape'}`,
    );
  }
  const podSc = spec.data.securityContext ?? {};
  const images: ImageSite[] = [];
  const lists = [
    ['containers', 'container'],
    ['initContainers', 'initContainer'],
    ['ephemeralContainers', 'ephemeralContainer'],
  ] as const;
  for (const [field, site] of lists) {
    (spec.data[field] ?? []).forEach((c, i) => {
      // A container without an image pulls nothing; the API server rejects it anyway.
      if (c.image === undefined || c.image === '') return;
      const sc = c.securityContext ?? {};
      const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
      const runAsUser = sc.runAsUser ?? podSc.runAsUser;
      images.push({
        image: c.image,
        path: pointer([...specParts, field, i, 'image']),
        site,
        name: c.name ?? `${field}[${i}]`,
        runAs: {
          ...(runAsNonRoot !== undefined ? { runAsNonRoot } : {}),
          ...(runAsUser !== undefined ? { runAsUser } : {}),
        },
      });
    });
  }
  (spec.data.volumes ?? []).forEach((v, i) => {
    const ref = v.image?.reference;
    if (ref === undefined || ref === '') return;
    images.push({
      image: ref,
      path: pointer([...specParts, 'volumes', i, 'image', 'reference']),
      site: 'volume',
      name: v.name ?? `volumes[${i}]`,
    });
  });
  const namespace = objectMeta.data?.namespace;
  return {
    kind,
    specPath: pointer(specParts),
    labels: meta.data?.labels ?? {},
    ...(namespace !== undefined ? { namespace } : {}),
    imagePullSecrets: (spec.data.imagePullSecrets ?? []).flatMap((s) =>
      s.name !== undefined && s.name !== '' ? [s.name] : [],
    ),
    images,
  };
}
