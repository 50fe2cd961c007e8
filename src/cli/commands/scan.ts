import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic, type Logger } from '../../core/index.js';
import { buildInventory, type Inventory } from '../../inventory/index.js';
import { imageSubject, readSbom, type ImageSubject } from '../../sbom/index.js';
import {
  applyPolicy,
  BASE_DIGEST_ANNOTATION,
  BASE_NAME_ANNOTATION,
  exitCodeFor,
  IGNORE_FILE_NAME,
  matchInventory,
  parseIgnoreFile,
  parseOpenVex,
  shouldUseColor,
  splitBaseImageFindings,
  toCycloneDxReport,
  toSarif,
  toScanJson,
  toTable,
  type IgnoreEntry,
  type ReportInput,
  type Severity,
  type SeveritySource,
  type VexStatement,
} from '../../scan/index.js';
import { defaultDbPath, openVulnDb } from '../../vulndb/index.js';
import { ExitCode } from '../exit-codes.js';
import { imageTargetHelp, imageTargetOptions, openTarget } from '../image-target.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { toolInfo } from '../tool.js';
import { parseRegistryImage } from '../registry-client.js';
import { cosignVulnPredicate, type SigningKeyPair } from '../../signing/index.js';
import { tryParseImageRef, type ImageRef } from '../../imageref/index.js';
import { attestToRegistry, checkKeyFileFlag, readSigningKey, replayablePasswordIo } from './attest.js';
import { POLICY_FILE_NAME } from '../../policy/index.js';
import type { ScanPolicy, ScanPolicyResult } from './scan-policy.js';

export const scanHelp = `Usage: portcullis scan <target>... [options] [image options]

Finds known vulnerabilities in the packages of each target, from the offline database
(portcullis db import / db update). A target is any image (see below) or sbom:FILE
(CycloneDX or SPDX JSON, ours or another tool's).

Options:
  --format table|json|sarif|cyclonedx   report format (default table)
  --output FILE                         write the report to FILE (atomically)
  --severity LIST                       only these severities (critical,high,medium,low,negligible,unknown)
  --ignore-unfixed                      leave out findings with no fixed version
  --exit-code N                         exit with N when findings remain (default 0)
  --ignorefile FILE                     accepted findings (default ./${IGNORE_FILE_NAME} when present)
  --vex FILE                            OpenVEX document; not_affected and fixed statements suppress (repeatable)
  --db PATH                             vulnerability database (default $PORTCULLIS_DB or the cache)
  --max-db-age DAYS                     warn when the database is older (default 7)
  --fail-on-stale-db                    fail (exit 2) instead of warning when it is older
  --severity-order LIST                 where ratings come from, first found wins (default
                                        distro,cvss_v4,cvss_v3,cvss_v2,record)
  --exclude-base-image                  leave out findings in layers that came from the base image
                                        (named by --base, else by the image's
                                        org.opencontainers.image.base.name/digest annotations)
  --base TARGET                         the base image the target was built FROM
  --attest --key KEY                    also sign each result as a cosign vuln attestation
                                        (https://cosign.sigstore.dev/attestation/vuln/v1, the scan
                                        JSON as scanner.result) and attach it to the image in the
                                        registry; registry targets only; key password as for
                                        portcullis attest

Policy gate (docs/policy.md, "scan --policy"):
  --policy FILE                         judge each image by the policy's rules (default
                                        ./${POLICY_FILE_NAME} when it exists, as lint reads it);
                                        exit 1 when an enforce rule denies
  --no-policy                           ignore ./${POLICY_FILE_NAME}
  --namespace NS                        the namespace rules are matched in (default "default")
  --reference REF                       the registry reference a local target will be deployed
                                        as, for allowedRegistries, disallowTags, requireDigest and
                                        match.images (default: a registry target's own reference)
  The rules run through the admission decision core on all the findings the scanner matched
  (--severity, --ignore-unfixed, --exclude-base-image, the ignore file and VEX shape the report
  only; a rule's own ignore list is what the webhook sees too). requireSignature and
  requirePullSecretsFor are listed as not evaluated (use portcullis verify and policy test),
  as are reference rules for a local target without --reference; they neither pass nor fail.

${imageTargetHelp}`;

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];

function parseSeverities(list: string): Severity[] {
  const out: Severity[] = [];
  for (const raw of list.split(',')) {
    const s = raw.trim().toLowerCase();
    if (s === '') continue;
    const found = SEVERITIES.find((x) => x === s);
    if (found === undefined) {
      throw new UsageError(
        `unknown severity "${s.slice(0, 20)}" in --severity: expected ${SEVERITIES.join(', ')}`,
      );
    }
    out.push(found);
  }
  return out;
}

const SEVERITY_SOURCES: readonly SeveritySource[] = ['distro', 'cvss_v4', 'cvss_v3', 'cvss_v2', 'record'];

function parseSeverityOrder(list: string): SeveritySource[] {
  return list.split(',').map((raw) => {
    const s = raw.trim().toLowerCase();
    const found = SEVERITY_SOURCES.find((x) => x === s);
    if (found === undefined) {
      throw new UsageError(
        `unknown rating source "${s.slice(0, 20)}" in --severity-order: expected ${SEVERITY_SOURCES.join(', ')}`,
      );
    }
    return found;
  });
}

export async function runScan(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...imageTargetOptions,
      format: { type: 'string', default: 'table' },
      output: { type: 'string', short: 'o' },
      severity: { type: 'string' },
      'ignore-unfixed': { type: 'boolean', default: false },
      'exit-code': { type: 'string', default: '0' },
      ignorefile: { type: 'string' },
      vex: { type: 'string', multiple: true },
      db: { type: 'string' },
      'max-db-age': { type: 'string', default: '7' },
      'fail-on-stale-db': { type: 'boolean', default: false },
      'exclude-base-image': { type: 'boolean', default: false },
      'severity-order': { type: 'string' },
      base: { type: 'string' },
      attest: { type: 'boolean', default: false },
      key: { type: 'string' },
      policy: { type: 'string' },
      'no-policy': { type: 'boolean', default: false },
      namespace: { type: 'string' },
      reference: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, scanHelp);
    return ExitCode.ok;
  }
  if (positionals.length === 0)
    throw new UsageError('scan needs at least one target; see portcullis scan --help');
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'sarif' && format !== 'cyclonedx') {
    throw new UsageError(
      `unknown --format "${format.slice(0, 40)}": expected table, json, sarif or cyclonedx`,
    );
  }
  const exitCode = Number(values['exit-code']);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw new UsageError(
      `--exit-code must be a whole number from 0 to 255, got "${values['exit-code'].slice(0, 20)}"`,
    );
  }
  const maxAge = Number(values['max-db-age']);
  if (!Number.isFinite(maxAge) || maxAge < 0) throw new UsageError('--max-db-age must be a number of days');
  const severities = values.severity === undefined ? undefined : parseSeverities(values.severity);
  const severityOrder =
    values['severity-order'] === undefined ? undefined : parseSeverityOrder(values['severity-order']);
  if (
    (format === 'sarif' || format === 'cyclonedx' || format === 'json') &&
    positionals.length > 1 &&
    values.output !== undefined
  ) {
    // One document per target would overwrite each other in one file.
    throw new UsageError(`--output with --format ${format} takes one target; run one scan per target`);
  }

  // With --attest, every target must be in a registry (that is where the attestations go) and
  // the key must open, before any scanning.
  let attest: { readonly key: SigningKeyPair; readonly refs: Map<string, ImageRef> } | undefined;
  if (values.attest) {
    const keyFile = checkKeyFileFlag(values.key, 'scan --attest');
    const refs = new Map(positionals.map((t) => [t, parseRegistryImage(t, 'scan --attest')] as const));
    attest = { key: await readSigningKey(keyFile, io), refs };
  } else if (values.key !== undefined) {
    throw new UsageError('--key is for --attest');
  }
  const ioFor = await replayablePasswordIo(values, io);

  // Loaded before any scanning: a policy file with a mistake fails at once, naming its line.
  const scanPolicy = await loadPolicyFlags(values, positionals, io);

  const ignore = await loadIgnore(values.ignorefile, io);
  const vex: VexStatement[] = [];
  for (const file of values.vex ?? []) {
    const p = path.resolve(io.cwd, file);
    vex.push(...parseOpenVex(await readFile(p, 'utf8'), p));
  }

  const dbPath = values.db === undefined ? defaultDbPath(io.env) : path.resolve(io.cwd, values.db);
  const db = openVulnDb(dbPath, { readonly: true });
  let worst = 0;
  const outputs: string[] = [];
  try {
    const age = db.ageDays();
    if (age !== undefined && age > maxAge) {
      const msg = `the vulnerability database is ${age.toFixed(0)} days old (over ${maxAge}); run portcullis db update`;
      if (values['fail-on-stale-db']) throw new UsageError(msg);
      logger.warn(msg);
    }
    const now = new Date();
    const dbStatus = attest === undefined ? undefined : db.status();
    for (const target of positionals) {
      const scanStartedOn = new Date();
      const {
        inventory,
        name,
        digest,
        reference,
        subjectIds,
        subject,
        diffIDs,
        baseAnnotation,
        policyFacts,
      } = await inventoryOf(target, values, ioFor(), logger);
      for (const gap of inventory.gaps) logger.warn(`${gap.analyzer}: ${gap.path}: ${gap.reason}`);
      const matched = matchInventory(inventory, db, severityOrder === undefined ? {} : { severityOrder });
      for (const w of matched.warnings.slice(0, 50)) logger.warn(w);
      const policyResult =
        scanPolicy === undefined
          ? undefined
          : (await import('./scan-policy.js')).evaluateScanPolicy(
              scanPolicy,
              {
                target,
                reference: values.reference ?? policyFacts.reference,
                localKind: policyFacts.localKind,
                digest,
                user: policyFacts.user,
                findings: matched.findings,
              },
              now,
            );
      let findings = matched.findings;
      if (values['exclude-base-image']) {
        const baseDiffIDs = await baseDiffIDsFor(values.base ?? baseAnnotation, values, ioFor(), logger);
        if (baseDiffIDs === undefined) {
          logger.warn(
            `${target} names no base image (no ${BASE_NAME_ANNOTATION}/${BASE_DIGEST_ANNOTATION}); use --base to name it: nothing excluded`,
          );
        } else {
          const split = splitBaseImageFindings(findings, diffIDs, baseDiffIDs);
          if (split.baseLayers === 0)
            logger.warn(`the base image's layers are not the first layers of ${target}: nothing excluded`);
          else
            logger.info(
              `${split.excluded.length} finding(s) in the ${split.baseLayers} base image layer(s) left out`,
            );
          findings = split.kept;
        }
      }
      const policy = applyPolicy(findings, {
        ...(severities === undefined ? {} : { severities }),
        ignoreUnfixed: values['ignore-unfixed'],
        ignore,
        vex,
        subject: { ids: subjectIds },
        now,
      });
      for (const e of policy.expiredIgnores) {
        logger.warn(
          `ignore entry for ${e.id} expired on ${e.expires ?? '?'} and no longer applies (${e.reason})`,
        );
      }
      const input: ReportInput = {
        target: { name, reference, ...(digest === undefined ? {} : { digest }) },
        os: inventory.os,
        results: { inventory, findings: policy.kept, warnings: matched.warnings },
        suppressed: policy.suppressed,
        tool: toolInfo(),
      };
      const color = values.output === undefined && shouldUseColor(io.stdout as { isTTY?: boolean }, io.env);
      outputs.push(await render(format, input, subject, color, scanPolicy, policyResult));
      worst = Math.max(worst, exitCodeFor(policy.kept, { exitCode }));
      if (policyResult?.allowed === false) worst = Math.max(worst, ExitCode.findings);
      const ref = attest?.refs.get(target);
      if (attest !== undefined && ref !== undefined && dbStatus !== undefined) {
        // The digest the reference named when read: a tag moved since does not get this result.
        const attested = subject.indexDigest ?? subject.digest;
        if (attested === undefined) throw new UsageError(`${target} has no manifest digest to attest`);
        const tool = toolInfo();
        const predicate = cosignVulnPredicate({
          scanner: {
            uri: `pkg:npm/${tool.name}@${tool.version}`,
            version: tool.version,
            db: {
              uri: dbStatus.sources.map((s) => s.name).join(','),
              version: dbStatus.lastUpdate ?? dbStatus.created ?? '',
            },
          },
          result: toScanJson(input),
          scanStartedOn,
          scanFinishedOn: new Date(),
        });
        await attestToRegistry(
          {
            ref,
            key: attest.key,
            type: 'vuln',
            predicate: Buffer.from(JSON.stringify(predicate), 'utf8'),
            imageDigest: attested,
          },
          values,
          ioFor(),
          logger,
        );
      }
    }
  } finally {
    db.close();
  }
  const text = outputs.join(format === 'table' ? '\n' : '');
  if (values.output === undefined) io.stdout.write(text);
  else await writeFileAtomic(path.resolve(io.cwd, values.output), text);
  return worst;
}

async function render(
  format: 'table' | 'json' | 'sarif' | 'cyclonedx',
  input: ReportInput,
  image: ImageSubject,
  color: boolean,
  scanPolicy: ScanPolicy | undefined,
  result: ScanPolicyResult | undefined,
): Promise<string> {
  // A default ./portcullis.yaml none of whose rules apply (or with only lint settings) adds nothing.
  const shown =
    result !== undefined && (scanPolicy?.explicit === true || result.verdicts.length > 0)
      ? result
      : undefined;
  const p = shown === undefined ? undefined : await import('./scan-policy.js');
  switch (format) {
    case 'table': {
      const table = toTable(input, { color });
      return shown === undefined || p === undefined ? table : `${table}\n${p.formatPolicyText(shown)}`;
    }
    case 'json': {
      const doc = toScanJson(input);
      const withPolicy =
        shown === undefined || p === undefined ? doc : { ...doc, policy: p.policyJson(shown) };
      return `${JSON.stringify(withPolicy, undefined, 2)}\n`;
    }
    case 'sarif': {
      const doc = toSarif(input);
      return `${JSON.stringify(shown === undefined || p === undefined ? doc : p.withPolicySarif(doc, shown), undefined, 2)}\n`;
    }
    case 'cyclonedx':
      // CycloneDX has no place for policy verdicts; the exit code still carries the gate.
      return `${JSON.stringify(toCycloneDxReport({ ...input, image }), undefined, 2)}\n`;
  }
}

async function loadPolicyFlags(
  values: {
    readonly policy?: string | undefined;
    readonly 'no-policy': boolean;
    readonly namespace?: string | undefined;
    readonly reference?: string | undefined;
  },
  targets: readonly string[],
  io: CliIO,
): Promise<ScanPolicy | undefined> {
  const explicit =
    values.policy !== undefined || values.namespace !== undefined || values.reference !== undefined;
  // Without a flag and without ./portcullis.yaml, scan does not load the policy stack at all.
  if (!explicit && (values['no-policy'] || !existsSync(path.resolve(io.cwd, POLICY_FILE_NAME)))) {
    return undefined;
  }
  if (values.reference !== undefined) {
    if (targets.length > 1) throw new UsageError('--reference names one image; scan one target with it');
    if (tryParseImageRef(values.reference) === undefined) {
      throw new UsageError(`--reference "${values.reference.slice(0, 80)}" is not an image reference`);
    }
  }
  const { loadScanPolicy } = await import('./scan-policy.js');
  const sp = await loadScanPolicy(io, {
    ...(values.policy === undefined ? {} : { policy: values.policy }),
    noPolicy: values['no-policy'],
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
  });
  if (sp === undefined && values.reference !== undefined) throw new UsageError('--reference is for --policy');
  return sp;
}

async function loadIgnore(explicit: string | undefined, io: CliIO): Promise<IgnoreEntry[]> {
  const file = path.resolve(io.cwd, explicit ?? IGNORE_FILE_NAME);
  if (explicit === undefined && !existsSync(file)) return [];
  return parseIgnoreFile(await readFile(file, 'utf8'), file);
}

type TargetInventory = {
  inventory: Inventory;
  /** The image's layers (diffIDs), base first; empty for SBOM targets. */
  diffIDs: string[];
  /** `name@digest` of the base image the manifest annotations name, if they do. */
  baseAnnotation: string | undefined;
  subject: ImageSubject;
  name: string;
  digest: string | undefined;
  reference: string;
  subjectIds: string[];
  /** What the policy gate reads beyond the findings. */
  policyFacts: {
    readonly reference: string | undefined;
    readonly localKind: string;
    readonly user: { readonly user: string } | { readonly error: string };
  };
};

async function inventoryOf(
  target: string,
  flags: Parameters<typeof openTarget>[1],
  io: CliIO,
  logger: Logger,
): Promise<TargetInventory> {
  if (target.startsWith('sbom:')) {
    const file = path.resolve(io.cwd, target.slice('sbom:'.length));
    const sbom = readSbom(await readFile(file), file);
    const digest = sbom.subject?.digest;
    const name = sbom.subject?.name ?? path.basename(file);
    return {
      inventory: sbom.inventory,
      diffIDs: [],
      baseAnnotation: undefined,
      // What the SBOM says of its subject is all there is: no layers, no platform.
      subject: {
        reference: target,
        name: name.toLowerCase(),
        repositoryUrl: undefined,
        tag: undefined,
        digest,
        indexDigest: undefined,
        configDigest: undefined,
        platform: undefined,
        architecture: undefined,
        layers: [],
      },
      name,
      digest,
      reference: target,
      subjectIds: [digest, sbom.subject?.purl].filter((x): x is string => x !== undefined),
      policyFacts: {
        reference: undefined,
        localKind: 'an SBOM',
        user: { error: 'an SBOM does not record the image user' },
      },
    };
  }
  const opened = await openTarget(target, flags, io, logger);
  try {
    const inventory = await buildInventory(opened.image, {
      logger,
      layerCache: opened.layerCache,
      cacheKey: `portcullis ${toolInfo().version}`,
    });
    const subject = imageSubject(opened.image);
    const ociPurl =
      subject.digest === undefined
        ? undefined
        : `pkg:oci/${subject.name}@${encodeURIComponent(subject.digest)}`;
    const image = opened.image;
    const annotations = image.kind === 'layered' ? (image.manifest.annotations ?? {}) : {};
    const baseName = annotations[BASE_NAME_ANNOTATION];
    const baseDigest = annotations[BASE_DIGEST_ANNOTATION];
    return {
      inventory,
      subject,
      diffIDs: image.kind === 'layered' ? image.layers.map((l) => l.diffID) : [],
      baseAnnotation:
        baseName !== undefined && baseDigest !== undefined
          ? `${baseName.replace(/@.*$/, '')}@${baseDigest}`
          : undefined,
      name: target,
      digest: subject.digest,
      reference: opened.image.reference,
      subjectIds: [subject.digest, subject.configDigest, ociPurl, opened.image.reference].filter(
        (x): x is string => x !== undefined,
      ),
      policyFacts: {
        // The reference as given: that is what a pod spec would name, tag and all.
        reference: image.source === 'docker' ? registryReference(target) : undefined,
        localKind: `a local ${image.source === 'rootfs' ? 'root filesystem' : image.source}`,
        user:
          image.kind === 'layered'
            ? { user: image.config.config?.User ?? '' }
            : { error: 'a root filesystem has no image config' },
      },
    };
  } finally {
    await opened.close();
  }
}

/** The diffIDs of the base image named by `--base` or the annotations, or undefined when none is named. */
async function baseDiffIDsFor(
  base: string | undefined,
  flags: Parameters<typeof openTarget>[1],
  io: CliIO,
  logger: Logger,
): Promise<string[] | undefined> {
  if (base === undefined) return undefined;
  const opened = await openTarget(base, flags, io, logger);
  try {
    return opened.image.kind === 'layered' ? opened.image.layers.map((l) => l.diffID) : [];
  } finally {
    await opened.close();
  }
}

// `docker://REF` and a bare reference both name a registry image; the pod would say REF.
function registryReference(target: string): string {
  return target.startsWith('docker://') ? target.slice('docker://'.length) : target;
}
