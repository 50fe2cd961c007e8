import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, isPortcullisError, type Digest, type Logger } from '../../core/index.js';
import { MediaType, parseManifest, type ParsedManifest } from '../../oci/index.js';
import type { AdmissionRule, Policy, ServerProject } from '../../policy/index.js';
import type {
  BlobStore,
  GateRefusal,
  HookActor,
  ManifestRecord,
  MetadataStore,
  RegistryHooks,
} from '../../registry/index.js';
import { MAX_VEX_BYTES, parseOpenVex, type VexStatement } from '../../scan/index.js';
import { TtlLruCache, type SigstoreTrustedRoot } from '../../signing/index.js';
import { judgeScan, type GateCheck } from './gates-vulnerabilities.js';
import { LocalRegistryClient } from './local-client.js';
import type { ScanResultsReader } from './scan-results.js';
import { createSignatureGate, type SignatureGateOptions } from './signature-gate.js';

export type RegistryGatesOptions = {
  /** The parsed policy file: its `rules` and `server.projects`. */
  readonly policy: Policy;
  /** The policy file's directory; `vex` paths are relative to it. */
  readonly policyDir: string;
  /** Where the vulnerabilities rules read each manifest's scan. */
  readonly scans: ScanResultsReader;
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly logger?: Logger | undefined;
  /** For keyless signers of requireSignature rules; without it they cannot be checked. */
  readonly trustedRoot?: SigstoreTrustedRoot | undefined;
  /** Bounds of the signature outcome cache. */
  readonly signatureCache?: SignatureGateOptions['cache'];
  /** The clock (ignore-entry expiry, cache ages); tests move it. */
  readonly now?: (() => Date) | undefined;
};

type Rule = AdmissionRule;

const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.ociConfig, MediaType.dockerConfig]);
const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList]);

/** `*` any run of the allowed characters, `?` one; everything else literal. */
function compileGlob(glob: string, chars: string): RegExp {
  const body = glob.replace(/[.*?\\^$+{}()|[\]-]/g, (c) =>
    c === '*' ? `[${chars}]*` : c === '?' ? `[${chars}]` : `\\${c}`,
  );
  return new RegExp(`^${body}$`);
}

/** cosign's `sha256-<hex>.sig|.att|.sbom` tags and the referrers tag schema's `sha256-<hex>`. */
const SUPPLY_CHAIN_TAG_RE = /^(sha256-[0-9a-f]{64}|sha512-[0-9a-f]{128})(\.(sig|att|sbom))?$/;

const PROJECT_CHARS = 'a-z0-9._\\-';
const TAG_CHARS = 'A-Za-z0-9_.\\-';

/** Project globs compiled once per `server.projects` entry (entries live as long as their policy). */
const projectGlobs = new WeakMap<ServerProject, RegExp>();

function projectGlobOf(entry: ServerProject): RegExp {
  let re = projectGlobs.get(entry);
  if (re === undefined) {
    re = compileGlob(entry.name, PROJECT_CHARS);
    projectGlobs.set(entry, re);
  }
  return re;
}

/** True when a `server.projects` name (`team`, `team-*`, `?a*`, `*`) matches `project`. */
export function matchesProjectGlob(glob: string, project: string): boolean {
  return compileGlob(glob, PROJECT_CHARS).test(project);
}

/**
 * The `server.projects` entry that applies to a project: the first whose name glob matches it,
 * or undefined (the project is not gated). The gates enforce it and the API reports it.
 */
export function applicableProjectEntry(
  policy: Policy | undefined,
  project: string,
): ServerProject | undefined {
  return policy?.server?.projects?.find((entry) => projectGlobOf(entry).test(project));
}

/**
 * Why a manifest is never gated, or undefined when it is gated. Indexes pass (their platform
 * manifests are gated when clients fetch them), and so do signatures, attestations, SBOMs and
 * other artifacts, which clients must fetch to verify the images they belong to. What counts is
 * whether a runtime could run it: a manifest whose config is an image config and whose layers
 * are all filesystem layers is gated whatever else it says. An artifactType or a subject does
 * not exempt it (runtimes ignore both, so they would let anyone who can push slip an image past
 * the gates); cosign's `.sig`, `.att` and `.sbom` manifests and Sigstore bundles are exempt by
 * their layers or config. A manifest that cannot be read is gated (failing closed).
 */
function exemption(record: ManifestRecord, bytes: Buffer | undefined): string | undefined {
  if (INDEX_TYPES.has(record.mediaType)) return 'an index';
  if (bytes === undefined) return undefined;
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(bytes, record.mediaType, `manifest ${record.digest}`);
  } catch (err) {
    if (isPortcullisError(err)) return undefined;
    throw err;
  }
  if (parsed.kind === 'index') return 'an index';
  const config = parsed.manifest.config.mediaType;
  if (!IMAGE_CONFIG_TYPES.has(config)) return `an artifact with config ${config}`;
  const other = parsed.manifest.layers.find((l) => !isFilesystemLayer(l.mediaType));
  return other === undefined ? undefined : `an artifact with a ${other.mediaType} layer`;
}

function isFilesystemLayer(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.') ||
    mediaType.startsWith('application/vnd.docker.image.rootfs.') ||
    mediaType === 'application/x-tar'
  );
}

type Project = {
  readonly entry: ServerProject;
  readonly pullRules: readonly Rule[];
  readonly immutable: readonly { readonly glob: string; readonly re: RegExp }[];
  /** Read on first use; a failure is kept, so that every pull it affects fails closed the same way. */
  vex: Promise<VexStatement[]> | undefined;
};

async function readVex(policyDir: string, files: readonly string[]): Promise<VexStatement[]> {
  const out: VexStatement[] = [];
  for (const f of files) {
    const file = path.resolve(policyDir, f);
    const info = await stat(file);
    if (info.size > MAX_VEX_BYTES) {
      throw new Error(`the VEX document ${file} is ${info.size} bytes, over the ${MAX_VEX_BYTES}-byte limit`);
    }
    out.push(...parseOpenVex(await readFile(file, 'utf8'), file));
  }
  return out;
}

/**
 * The registry's pull gates and immutable tags from the policy file's `server.projects` (the
 * first entry whose name glob matches a repository's project applies; projects without one
 * are not gated):
 *
 * - `checkPull` judges each GET of a gated manifest by the project's `pull.rules`: vulnerabilities
 *   rules read the stored scan (VEX and ignore entries applied; `whileScanning` while it is
 *   pending; a failed or unsupported scan is the rule's onError, deny by default), and
 *   requireSignature rules need a signature that verifies with the rule's keys, read from the
 *   stores directly. Rules in mode warn or audit never refuse; they are logged.
 * - `checkTagChange` refuses moving or deleting an existing tag that matches `immutableTags`
 *   (except cosign's signature, attestation and SBOM tags, which signing moves).
 * - `onManifestPushed` forgets cached signature outcomes of a digest that just got a
 *   signature, attestation or referrer; compose it with the scan queue's own hook.
 */
export function createRegistryGates(opts: RegistryGatesOptions): Required<RegistryHooks> {
  const now = opts.now ?? (() => new Date());
  const logger = opts.logger;
  const rulesByName = new Map((opts.policy.rules ?? []).map((r) => [r.name, r]));
  const projects = new Map<ServerProject, Project>(
    (opts.policy.server?.projects ?? []).map((entry) => [
      entry,
      {
        entry,
        pullRules: (entry.pull?.rules ?? []).flatMap((n) => {
          const r = rulesByName.get(n);
          return r === undefined ? [] : [r];
        }),
        immutable: (entry.immutableTags ?? []).map((glob) => ({ glob, re: compileGlob(glob, TAG_CHARS) })),
        vex: undefined,
      },
    ]),
  );
  const projectOf = (repository: string): Project | undefined => {
    const entry = applicableProjectEntry(opts.policy, repository.split('/')[0] ?? repository);
    return entry === undefined ? undefined : projects.get(entry);
  };
  const client = new LocalRegistryClient(opts.blobs, opts.metadata);
  const signatures = createSignatureGate({
    blobs: opts.blobs,
    metadata: opts.metadata,
    trustedRoot: opts.trustedRoot,
    logger,
    cache: opts.signatureCache,
    now: () => now().getTime(),
  });
  // Manifests never change under a digest: whether one is exempt is worth keeping.
  const exemptions = new TtlLruCache<string, string | false>({
    maxEntries: 10_000,
    ttlMs: 24 * 3600_000,
    now: () => now().getTime(),
  });

  const exemptionOf = async (repository: string, record: ManifestRecord): Promise<string | undefined> => {
    const cached = exemptions.get(record.digest);
    if (cached !== undefined) return cached === false ? undefined : cached;
    let why = exemption(record, undefined);
    if (why === undefined) {
      const { bytes } = await client.getManifest({ registry: '', repository, digest: record.digest });
      why = exemption(record, bytes);
    }
    exemptions.set(record.digest, why ?? false);
    return why;
  };

  const vexOf = (project: Project): Promise<VexStatement[]> => {
    project.vex ??= readVex(opts.policyDir, project.entry.vex ?? []);
    return project.vex;
  };

  const checkRule = async (
    project: Project,
    rule: Rule,
    repository: string,
    digest: Digest,
  ): Promise<GateCheck> => {
    switch (rule.kind) {
      case 'vulnerabilities': {
        let vex: VexStatement[];
        try {
          vex = await vexOf(project);
        } catch (err) {
          return {
            outcome: 'error',
            message: `the project's VEX documents cannot be read: ${errorMessage(err)}`,
          };
        }
        return judgeScan(digest, await opts.scans.scanOf(digest), rule, {
          vex,
          subjectIds: [digest, `${repository}@${digest}`],
          now: now(),
        });
      }
      case 'requireSignature': {
        const fact = await signatures.check(repository, digest, rule);
        if ('error' in fact) return { outcome: 'error', message: fact.error };
        if (fact.satisfied) return { outcome: 'pass' };
        return {
          outcome: 'violation',
          message: `no signature verifies with the rule's keys: ${fact.reasons.slice(0, 3).join('; ') || 'no reason given'}`,
        };
      }
      case 'allowedRegistries':
      case 'disallowTags':
      case 'requireDigest':
      case 'requireNonRoot':
      case 'requirePullSecretsFor':
        // The policy schema lets only the two kinds above into pull.rules.
        return { outcome: 'error', message: `a ${rule.kind} rule cannot gate pulls` };
    }
  };

  return {
    async checkPull({ method, repository, record, actor }): Promise<GateRefusal | undefined> {
      // HEAD tells the digest, media type and size, never the content: signers need them to
      // attach a referrer (a Sigstore bundle) to an image the gate refuses until it is signed,
      // and clients resolving a tag learn no more than the refused GET that follows says.
      if (method === 'HEAD') return undefined;
      const project = projectOf(repository);
      if (project === undefined || project.pullRules.length === 0) return undefined;
      const exempt = await exemptionOf(repository, record);
      if (exempt !== undefined) return undefined;
      const who = describeActor(actor);
      for (const rule of project.pullRules) {
        const check = await checkRule(project, rule, repository, record.digest);
        if (check.outcome === 'pass') continue;
        const refuses =
          rule.mode === 'enforce' &&
          (check.outcome === 'violation' ||
            (check.outcome === 'error' && rule.onError === 'deny') ||
            (check.outcome === 'pending' && project.entry.pull?.whileScanning !== 'allow'));
        const what = `${repository}@${record.digest} by rule ${rule.name}`;
        if (refuses) {
          logger?.info(`pull of ${what} refused${who}: ${check.message}`);
          return { code: 'DENIED', message: `pull refused by rule ${rule.name}: ${check.message}` };
        }
        const why =
          rule.mode !== 'enforce'
            ? `mode ${rule.mode}`
            : check.outcome === 'pending'
              ? 'whileScanning: allow'
              : 'onError: allow';
        const line = `pull of ${what} allowed (${why})${who}: ${check.message}`;
        if (rule.mode === 'audit') logger?.info(line);
        else logger?.warn(line);
      }
      return undefined;
    },

    checkTagChange({ repository, tag, next }): Promise<GateRefusal | undefined> {
      // Signature, attestation and SBOM tags (and the referrers tag schema's) move each time a
      // signature is added: tooling manages them, and `*` must not stop re-signing.
      if (SUPPLY_CHAIN_TAG_RE.test(tag)) return Promise.resolve(undefined);
      const hit = projectOf(repository)?.immutable.find((i) => i.re.test(tag));
      if (hit === undefined) return Promise.resolve(undefined);
      const change = next === undefined ? 'deleted' : `moved to ${next}`;
      return Promise.resolve({
        code: 'DENIED',
        message: `tag ${tag} of ${repository} is immutable (pattern ${hit.glob}) and cannot be ${change}; push a new tag instead`,
      });
    },

    onManifestPushed(event) {
      signatures.onManifestPushed(event);
    },
  };
}

function describeActor(actor: HookActor | undefined): string {
  return actor === undefined ? '' : ` (${actor.kind} ${actor.name})`;
}
