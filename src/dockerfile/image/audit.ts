import type { Limits, Logger } from '../../core/index.js';
import { tryParseImageRef, type ImageRef } from '../../imageref/index.js';
import {
  DEFAULT_WALK_CONTENT_BYTES,
  imageConfigSchema,
  parseTarget,
  readImageFiles,
  walkImageLayers,
  type Image,
  type ImageConfig,
  type LayerEntry,
  type LayeredImage,
} from '../../oci/index.js';
import type { LintFinding, Severity } from '../../report/index.js';
import { IMAGE_CONFIG_PATH, MAX_LAYER_FINDINGS } from './constants.js';
import { ImageAuditError } from './errors.js';
import { allImageRules } from './rules/index.js';
import { isSensitiveCandidate } from './sensitive.js';
import type {
  HistoryStep,
  ImageConfigContext,
  ImageHit,
  ImageRule,
  LayerScan,
  PathFate,
  PathTracker,
} from './types.js';

/** Rule selection and severities, shaped like the Dockerfile linter's options (images carry no comments to suppress with). */
export type ImageAuditOptions = {
  /** Rules to run; all image rules by default. */
  readonly rules?: readonly ImageRule[];
  /** Rule ids not to run. */
  readonly disabled?: readonly string[];
  readonly severityOverrides?: Readonly<Record<string, Severity>>;
  /**
   * The target as the user wrote it (`alpine`, `docker://ghcr.io/x/y:1.2`, `oci:dir:tag`); the
   * tag rule (PC-IMG-007) looks at it, and findings are reported under it. Defaults to the
   * image's resolved reference, which for registry images carries a digest.
   */
  readonly target?: string;
  /** Path findings are reported under; defaults to the target, then the image's reference. */
  readonly path?: string;
  /** Findings a file rule lists before counting the rest in one last finding (default {@link MAX_LAYER_FINDINGS}). */
  readonly maxFindingsPerRule?: number;
  /** Largest file whose content is read to confirm a credential (default 1 MiB). */
  readonly maxContentBytes?: number;
  readonly limits?: Partial<Limits>;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
};

function activeRules(options: ImageAuditOptions): ImageRule[] {
  const disabled = new Set((options.disabled ?? []).map((d) => d.toUpperCase()));
  return (options.rules ?? allImageRules).filter((r) => !disabled.has(r.id));
}

function toFinding(rule: ImageRule, hit: ImageHit, path: string, options: ImageAuditOptions): LintFinding {
  return {
    ruleId: rule.id,
    severity: options.severityOverrides?.[rule.id] ?? rule.severity,
    message: hit.message,
    hint: rule.hint,
    path,
    // Image findings have no line: 0 tells the text and SARIF reports to leave it out.
    line: 0,
    column: 0,
    ...(hit.layer === undefined ? {} : { layer: hit.layer }),
  };
}

function sortFindings(findings: LintFinding[]): LintFinding[] {
  return findings.sort(
    (a, b) =>
      a.ruleId.localeCompare(b.ruleId) ||
      (a.layer?.index ?? -1) - (b.layer?.index ?? -1) ||
      a.message.localeCompare(b.message),
  );
}

/** The registry reference in a target string, when it names one (not oci:, rootfs:, ...). */
function registryReference(target: string | undefined): ImageRef | undefined {
  if (target === undefined) return undefined;
  try {
    const parsed = parseTarget(target);
    return parsed.kind === 'docker' ? parsed.ref : undefined;
  } catch {
    return tryParseImageRef(target);
  }
}

/** History entries paired with the layers they made (layers come from the manifest when known). */
function historySteps(config: ImageConfig, layers: LayeredImage['layers'] | undefined): HistoryStep[] {
  let layerIndex = 0;
  let seenLayer = false;
  return (config.history ?? []).map((entry, index) => {
    const makesLayer = entry.empty_layer !== true;
    const layer = makesLayer ? layers?.[layerIndex] : undefined;
    const isBase = makesLayer && !seenLayer;
    if (makesLayer) {
      layerIndex++;
      seenLayer = true;
    }
    return {
      index,
      entry,
      createdBy: entry.created_by ?? '',
      layer: layer === undefined ? undefined : { index: layer.index, digest: layer.descriptor.digest },
      isBase,
    };
  });
}

function runConfigRules(
  rules: readonly ImageRule[],
  ctx: ImageConfigContext,
  path: string,
  options: ImageAuditOptions,
): LintFinding[] {
  return rules.flatMap((rule) =>
    (rule.checkConfig?.(ctx) ?? []).map((hit) => toFinding(rule, hit, path, options)),
  );
}

/**
 * Audits an image config alone (the JSON of `docker inspect`'s config blob, or an already
 * parsed config): root user, secrets in Env, Labels and history, history hygiene, healthcheck,
 * and the tag of `options.target`. Pure: reads nothing.
 *
 * @throws ImageAuditError IMAGE_CONFIG_INVALID when `config` is not an image config.
 */
export function auditImageConfig(config: unknown, options: ImageAuditOptions = {}): LintFinding[] {
  const parsed = imageConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new ImageAuditError(
      'IMAGE_CONFIG_INVALID',
      `not an image config: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const target = options.target;
  const path = options.path ?? target ?? IMAGE_CONFIG_PATH;
  const ctx: ImageConfigContext = {
    config: parsed.data,
    history: historySteps(parsed.data, undefined),
    reference: registryReference(target),
  };
  return sortFindings(runConfigRules(activeRules(options), ctx, path, options));
}

type Tracked = {
  readonly path: string;
  readonly layer: number;
  readonly dir: boolean;
  readonly fate: PathFate;
};

/**
 * Follows what later layers do to the paths rules asked about. Work stays linear in the size of
 * the layers whatever they hold: replacements are matched through a per-path queue that each
 * tracked path leaves once, and deletions are settled after the walk by looking up each tracked
 * path's ancestors among the whiteouts and opaque markers seen.
 */
class Fates implements PathTracker {
  /** Tracked paths not yet replaced, in walk order (so in layer order); `head` skips the settled ones. */
  private readonly pending = new Map<string, { items: Tracked[]; head: number }>();
  private readonly tracked: Tracked[] = [];
  private readonly whiteouts = new Map<string, number[]>();
  private readonly opaques = new Map<string, number[]>();

  track(entry: LayerEntry): PathFate {
    const t: Tracked = {
      path: entry.path,
      layer: entry.layerIndex,
      dir: entry.type === 'dir',
      fate: { deletedBy: undefined, replacedBy: undefined },
    };
    let queue = this.pending.get(entry.path);
    if (queue === undefined) {
      queue = { items: [], head: 0 };
      this.pending.set(entry.path, queue);
    }
    queue.items.push(t);
    this.tracked.push(t);
    return t.fate;
  }

  /** Called for every entry before rules see it. */
  see(entry: LayerEntry): void {
    if (this.tracked.length === 0) return;
    const j = entry.layerIndex;
    if (entry.kind === 'entry') {
      const queue = this.pending.get(entry.path);
      if (queue === undefined) return;
      for (let t = queue.items[queue.head]; t !== undefined && t.layer < j; t = queue.items[queue.head]) {
        queue.head++;
        // A later layer listing the same directory again changes nothing of its contents.
        if (!(t.dir && entry.type === 'dir')) t.fate.replacedBy = j;
      }
      return;
    }
    const marks = entry.kind === 'whiteout' ? this.whiteouts : this.opaques;
    const layers = marks.get(entry.path) ?? [];
    if (layers.length === 0) marks.set(entry.path, layers);
    layers.push(j);
  }

  /**
   * Fills in deletions once every layer has been seen: the first later layer that whites out the
   * path or an ancestor, or marks an ancestor opaque, unless a replacement came first.
   */
  settle(): void {
    if (this.whiteouts.size === 0 && this.opaques.size === 0) return;
    for (const t of this.tracked) {
      let first: number | undefined;
      const consider = (layers: readonly number[] | undefined): void => {
        for (const j of layers ?? []) if (j > t.layer && (first === undefined || j < first)) first = j;
      };
      consider(this.whiteouts.get(t.path));
      for (let i = t.path.lastIndexOf('/'); i >= 0; i = t.path.lastIndexOf('/', i - 1)) {
        const ancestor = t.path.slice(0, i);
        consider(this.whiteouts.get(ancestor));
        consider(this.opaques.get(ancestor));
        if (i === 0) break;
      }
      consider(this.opaques.get(''));
      if (first === undefined) continue;
      if (t.fate.replacedBy !== undefined && t.fate.replacedBy < first) continue;
      t.fate.deletedBy = first;
      t.fate.replacedBy = undefined;
    }
  }
}

/**
 * Audits a whole image: the config rules of {@link auditImageConfig}, then every entry of every
 * layer, deleted files included (credential files, .git, histories, setuid files). For a
 * `rootfs:` directory only the file rules run, on the files as they are.
 *
 * @throws OciError from reading the layers (DIFFID_MISMATCH, LAYER_INVALID, LIMIT_EXCEEDED, ...),
 *   the signal's reason when aborted.
 */
export async function auditImage(image: Image, options: ImageAuditOptions = {}): Promise<LintFinding[]> {
  const rules = activeRules(options);
  const target = options.target;
  const path = options.path ?? target ?? image.reference;
  const findings: LintFinding[] = [];
  if (image.kind === 'layered') {
    const ctx: ImageConfigContext = {
      config: image.config,
      history: historySteps(image.config, image.layers),
      reference: registryReference(target),
    };
    findings.push(...runConfigRules(rules, ctx, path, options));
  }
  const layerRules = rules.filter((r) => r.scanLayers !== undefined);
  if (layerRules.length === 0) return sortFindings(findings);
  const scans: [ImageRule, LayerScan][] = [];
  for (const rule of layerRules) {
    const scan = rule.scanLayers?.();
    if (scan !== undefined) scans.push([rule, scan]);
  }
  const fates = new Fates();
  const visit = (entry: LayerEntry): ((content: Buffer) => void) | undefined => {
    fates.see(entry);
    const sinks: ((content: Buffer) => void)[] = [];
    for (const [, scan] of scans) {
      const sink = scan.visit(entry, fates);
      if (sink !== undefined) sinks.push(sink);
    }
    if (sinks.length === 0) return undefined;
    return (content) => {
      for (const sink of sinks) sink(content);
    };
  };
  const maxContentBytes = options.maxContentBytes ?? DEFAULT_WALK_CONTENT_BYTES;
  if (image.kind === 'layered') {
    await walkImageLayers(image, visit, {
      maxContentBytes,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } else {
    await walkRootfs(image, visit, maxContentBytes, options);
  }
  fates.settle();
  for (const [rule, scan] of scans) findings.push(...capped(rule, scan.finish(), path, options));
  return sortFindings(findings);
}

/**
 * A hostile or odd image can hold a file rule's match a million times over; a report that long
 * helps nobody, so past MAX_LAYER_FINDINGS per rule one finding says how many more there were.
 */
function capped(
  rule: ImageRule,
  hits: readonly ImageHit[],
  path: string,
  options: ImageAuditOptions,
): LintFinding[] {
  const max = options.maxFindingsPerRule ?? MAX_LAYER_FINDINGS;
  const kept = hits.slice(0, max).map((hit) => toFinding(rule, hit, path, options));
  if (hits.length > max)
    kept.push(
      toFinding(
        rule,
        { message: `${hits.length - max} more findings of this rule not listed (over the cap of ${max})` },
        path,
        options,
      ),
    );
  return kept;
}

/** A `rootfs:` directory has one state, no layers: its files are shown to the rules as layer -1. */
async function walkRootfs(
  image: Extract<Image, { kind: 'rootfs' }>,
  visit: (entry: LayerEntry) => ((content: Buffer) => void) | undefined,
  maxContentBytes: number,
  options: ImageAuditOptions,
): Promise<void> {
  // Candidates are handed over through `summarize`, which (unlike `want`) lets a large file be
  // skipped instead of failing the read: a 2 GB "backup.key" is no credential file.
  const tree = await readImageFiles(image, {
    summarize: (p, meta) =>
      meta.size <= maxContentBytes && isSensitiveCandidate(p) ? (content) => Buffer.from(content) : undefined,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  for (const f of tree.entries()) {
    const entry: LayerEntry = {
      kind: 'entry',
      path: f.path,
      type: f.type,
      mode: f.mode,
      uid: f.uid,
      gid: f.gid,
      size: f.size,
      layerIndex: -1,
      layerDigest: 'sha256:' as LayerEntry['layerDigest'],
      diffID: 'sha256:' as LayerEntry['diffID'],
      createdBy: undefined,
    };
    const sink = visit(entry);
    if (sink === undefined) continue;
    const content = f.type === 'file' ? tree.summary(f.path) : undefined;
    if (Buffer.isBuffer(content)) sink(content);
  }
}
