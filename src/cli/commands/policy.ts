import path from 'node:path';
import { parseArgs } from 'node:util';
import { isPortcullisError, writeFileAtomic, type Logger } from '../../core/index.js';
import {
  decide,
  formatGatekeeperPolicy,
  GatekeeperImportError,
  importGatekeeperConstraints,
  parseAdmissionReview,
  type Decision,
  type RuleVerdict,
} from '../../admission/index.js';
import {
  formatSource,
  loadManifests,
  ManifestError,
  readManifestInputs,
  type LoadedObject,
} from '../../kube/index.js';
import { loadPolicyFile, type Policy } from '../../policy/index.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { toolInfo } from '../tool.js';
import { reportSkipped } from './audit.js';

export const policyHelp = `Usage: portcullis policy test --policy FILE [--format text|json] [--namespace NS]
                              MANIFEST... | -
       portcullis policy import-gatekeeper FILE... | - [--output FILE]

Runs the admission rules of a policy file (docs/policy.md) on Kubernetes manifests, the same
decisions the admission webhook makes, before anything reaches a cluster. Reads YAML or JSON,
several documents per file, List kinds (v1 List, DeploymentList, ...), directories (every
*.yaml, *.yml and *.json below them, sorted), and stdin for "-".
Every Pod and every workload's pod template is judged as a CREATE (Deployment, ReplicaSet,
StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate); other kinds are
listed as skipped.

policy test is offline: it contacts no registry, so rules that need facts about an image
(requireSignature, vulnerabilities, and requireNonRoot when the pod sets no user) cannot be
checked and follow their onError: deny fails an enforce rule, allow admits with a warning.

policy import-gatekeeper converts OPA Gatekeeper constraints (K8sAllowedRepos,
K8sAllowedReposv2, K8sDisallowedTags, K8sImageDigests; multi-document YAML, List kinds) into a
policy file and prints it as YAML, or writes it atomically with --output. A comment above each
rule names its constraint, and NOTE comments mark where Portcullis matches more strictly
(registry prefixes end on a path boundary; nginx means docker.io/library/nginx; no tag means
latest). The rules apply to Pods and to every workload's pod template alike.

Options:
  --policy FILE           the policy file (required)
  --format text|json      output (default text; json: schemaVersion 1, docs/policy-test.md)
  --namespace NS          namespace for objects that name none (default "default")

  --output FILE           import-gatekeeper: write the policy to FILE instead of stdout

Exit codes: 0 every object admitted (or converted), 1 an enforce rule denied, 2 invalid input.`;

/** Where an object came from: file (or `-`), 1-based document, 1-based item of a List. */
type Source = Pick<LoadedObject['source'], 'file' | 'document' | 'item'>;

function metadataString(object: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const meta = object['metadata'];
  if (typeof meta !== 'object' || !meta || Array.isArray(meta)) return undefined;
  const v = (meta as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

type ObjectResult = {
  readonly source: Source;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly decision: Decision;
};

// The request the API server would send for `kubectl apply` of this object (CREATE); only the
// fields `decide` reads matter, and parsing it through the webhook's own schema keeps one path.
function judge(item: LoadedObject, policy: Policy, defaultNamespace: string, now: Date): ObjectResult {
  const { object, source } = item;
  const kind = String(object['kind']);
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : 'v1';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const name = metadataString(object, 'name') ?? metadataString(object, 'generateName') ?? '';
  const namespace = metadataString(object, 'namespace') ?? defaultNamespace;
  const request = parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `policy-test:${source.file}:${source.document}${source.item !== undefined ? `:${source.item}` : ''}`.slice(
        0,
        256,
      ),
      kind: { group: group ?? '', version: version ?? '', kind },
      resource: { group: group ?? '', version: version ?? '', resource: `${kind.toLowerCase()}s` },
      ...(name !== '' ? { name } : {}),
      namespace,
      operation: 'CREATE',
      object,
      dryRun: true,
    },
  });
  try {
    return { source, kind, name, namespace, decision: decide(request, policy, {}, now) };
  } catch (err) {
    if (isPortcullisError(err) && err.code === 'ADMISSION_OBJECT_INVALID') {
      throw new ManifestError(
        'MANIFESTS_INVALID',
        `${formatSource(source)} (${kind} ${name}): ${err.message}`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

const ACTION_LABEL: Readonly<Record<RuleVerdict['action'], string>> = {
  allow: 'pass',
  deny: 'DENY',
  warn: 'warn',
  audit: 'audit',
};

function formatText(results: readonly ObjectResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const title = `${formatSource(r.source)}: ${r.kind} ${r.namespace}/${r.name || '(unnamed)'}`;
    if (r.decision.skipped !== undefined) {
      lines.push(`${title}: skipped (${r.decision.skipped})`);
      continue;
    }
    lines.push(`${title}: ${r.decision.allowed ? 'admitted' : 'DENIED'}`);
    const byImage = new Map<string, RuleVerdict[]>();
    for (const v of r.decision.verdicts) {
      const key = `${v.image} (${v.container}, ${v.path})`;
      byImage.set(key, [...(byImage.get(key) ?? []), v]);
    }
    if (byImage.size === 0) lines.push('  no images');
    for (const [image, verdicts] of byImage) {
      lines.push(`  ${image}`);
      for (const v of verdicts) {
        const label = v.exemptedBy !== undefined ? 'exempt' : ACTION_LABEL[v.action];
        lines.push(`    ${label.padEnd(6)} ${v.rule} (${v.kind}, ${v.mode})`);
        if (v.outcome === 'pass') continue;
        lines.push(`           ${v.message}`);
        if (v.exemptedBy !== undefined) lines.push(`           exempted: ${v.exemptedBy.reason}`);
        else lines.push(`           fix: ${v.fix}`);
      }
    }
    for (const x of r.decision.expiredExemptions) {
      lines.push(
        `  expired exemption "${x.reason}" (${x.expires}) no longer covers ${x.image} for ${x.rule}`,
      );
    }
  }
  const s = summarize(results);
  lines.push(
    '',
    `${s.objects} object(s), ${s.judged} judged, ${s.denied} denied, ${s.warnings} warning(s), ${s.audit} audit record(s)`,
    'offline: no registry was contacted; rules needing image facts followed their onError',
  );
  return lines.join('\n');
}

function summarize(results: readonly ObjectResult[]) {
  return {
    objects: results.length,
    judged: results.filter((r) => r.decision.skipped === undefined).length,
    denied: results.filter((r) => !r.decision.allowed).length,
    warnings: results.reduce((n, r) => n + r.decision.warnings.length, 0),
    audit: results.reduce((n, r) => n + r.decision.audit.length, 0),
  };
}

function formatJson(policyFile: string, results: readonly ObjectResult[]): string {
  return JSON.stringify(
    {
      schemaVersion: 1,
      tool: toolInfo(),
      policy: policyFile,
      offline: true,
      summary: summarize(results),
      objects: results.map((r) => ({
        source: {
          file: r.source.file,
          document: r.source.document,
          ...(r.source.item === undefined ? {} : { item: r.source.item }),
        },
        kind: r.kind,
        name: r.name,
        namespace: r.namespace,
        allowed: r.decision.allowed,
        ...(r.decision.skipped !== undefined ? { skipped: r.decision.skipped } : {}),
        verdicts: r.decision.verdicts,
        warnings: r.decision.warnings,
        expiredExemptions: r.decision.expiredExemptions,
      })),
    },
    undefined,
    2,
  );
}

async function runPolicyTest(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      policy: { type: 'string' },
      format: { type: 'string', default: 'text' },
      namespace: { type: 'string', default: 'default' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, policyHelp);
    return ExitCode.ok;
  }
  if (values.policy === undefined) throw new UsageError('policy test needs --policy FILE');
  if (values.format !== 'text' && values.format !== 'json') {
    throw new UsageError(`--format must be text or json, not "${values.format.slice(0, 20)}"`);
  }
  if (positionals.length === 0) throw new UsageError('policy test needs MANIFEST files, or - for stdin');
  if (positionals.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) may be given once');
  const policy = await loadPolicyFile(path.resolve(io.cwd, values.policy));
  const skipped: string[] = [];
  const objects = loadManifests(await readManifestInputs(positionals, io), {
    onSkipped: (message) => skipped.push(message),
  });
  reportSkipped(io, skipped);
  const now = new Date();
  const results = objects.map((o) => judge(o, policy, values.namespace, now));
  writeLine(io.stdout, values.format === 'json' ? formatJson(values.policy, results) : formatText(results));
  return results.some((r) => !r.decision.allowed) ? ExitCode.findings : ExitCode.ok;
}

async function runImportGatekeeper(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { output: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    writeLine(io.stdout, policyHelp);
    return ExitCode.ok;
  }
  if (positionals.length === 0) {
    throw new UsageError('policy import-gatekeeper needs constraint FILEs, or - for stdin');
  }
  if (positionals.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) may be given once');
  const imported = [];
  for (const { file, text } of await readManifestInputs(positionals, io)) {
    imported.push(...importGatekeeperConstraints(text, file));
  }
  if (imported.length === 0) {
    throw new ManifestError(
      'MANIFESTS_INVALID',
      `${positionals.join(', ')}: no Gatekeeper constraints found`,
    );
  }
  const yaml = formatGatekeeperPolicy(imported);
  if (values.output !== undefined) {
    await writeFileAtomic(path.resolve(io.cwd, values.output), yaml);
  } else {
    io.stdout.write(yaml);
  }
  return ExitCode.ok;
}

/**
 * `portcullis policy <subcommand>`: `test` runs a policy's admission rules on manifests;
 * `import-gatekeeper` converts Gatekeeper constraints into a policy file.
 * Manifest problems are input errors (exit 2, or 6 over a size cap), reported here so they do
 * not depend on the shared exit-code table.
 */
export async function runPolicy(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const [sub, ...rest] = argv;
  logger.debug('policy', { subcommand: sub });
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    writeLine(sub === undefined ? io.stderr : io.stdout, policyHelp);
    return sub === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (sub !== 'test' && sub !== 'import-gatekeeper') {
    throw new UsageError(
      `unknown policy subcommand "${sub.slice(0, 40)}"; expected test or import-gatekeeper`,
    );
  }
  try {
    return sub === 'test' ? await runPolicyTest(rest, io) : await runImportGatekeeper(rest, io);
  } catch (err) {
    if (err instanceof ManifestError || err instanceof GatekeeperImportError) {
      writeLine(io.stderr, `portcullis: ${err.message} [${err.code}]`);
      return exitCodeFor(err);
    }
    throw err;
  }
}
