import path from 'node:path';
import { parseArgs } from 'node:util';
import { isPortcullisError, writeFileAtomic, type Logger } from '../../core/index.js';
import {
  auditBundle,
  auditRuleMetas,
  ENCRYPTION_CONFIG_RULES,
  formatAuditJson,
  formatAuditSarif,
  formatAuditText,
  KUBE_RULES,
  loadManifests,
  readManifestInputs,
  type AuditReport,
} from '../../kube/index.js';
import {
  assertKnownAuditRuleIds,
  auditSettings,
  loadPolicyFile,
  POLICY_FILE_NAME,
  type Policy,
} from '../../policy/index.js';
import { isAtLeast } from '../../report/index.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { parseFailOn, selectPolicyFile } from '../report-flags.js';
import { toolInfo } from '../tool.js';

export const auditHelp = `Usage: portcullis audit PATH... | - [--format text|json|sarif] [--fail-on SEVERITY]
                       [--policy FILE | --no-policy] [--output FILE]
       portcullis audit encryption-config FILE [options]

Audits Kubernetes manifests for leaked secrets and for what lets them leak: secrets in env
values, command arguments, annotations and ConfigMaps; Secret objects committed with data;
Secrets consumed through env; images (latest, untrusted registries, pull secrets); pod
security settings; API token automounting; RBAC (who can read Secrets, with the binding chain
that grants it; escalate, bind, impersonate, wildcards, cluster-admin). Every rule is listed in
docs/rules/README.md with its own page; docs/audit.md describes this command.

PATH is a YAML or JSON file (several documents, List kinds), a directory (every *.yaml, *.yml
and *.json below it, sorted; documents there that are no Kubernetes objects, such as a Helm
Chart.yaml, are skipped with a note), or - for stdin (helm template ... | portcullis audit -).
YAML is read as kubectl reads it (YAML 1.1: yes/on/off are booleans).

Suppress a finding on an object with the annotation
  portcullis.dev/ignore: "PC-K8S-012 why this is accepted"
(several ids separated by commas, one entry per line; the reason is required: a suppression
without one is not applied and is reported as PC-K8S-000), or in the policy file's
audit.ignore (rule, kind/namespace/name globs, reason, expires). The policy's audit.rules
turn rules off or change their severity; audit.failOn sets the default --fail-on.

Options:
  --format text|json|sarif  output format (default text: findings per object with file:line,
                            path, fix; json: docs/audit-json.schema.json; sarif: SARIF 2.1.0)
  --fail-on SEVERITY        exit 1 when a finding is at or above critical|high|medium|low|info
                            (overrides the policy's audit.failOn)
  --policy FILE             the policy file (default ./${POLICY_FILE_NAME} when it exists)
  --no-policy               ignore ./${POLICY_FILE_NAME}
  --output FILE             write the report to FILE (atomically)

Exit codes: 0 no finding at or above the threshold, 1 one is, 2 invalid input, 6 over a size cap.`;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

/**
 * --policy FILE, else ./portcullis.yaml when present, else none. Its audit section serves both
 * `audit` and `audit encryption-config`, so rule ids of either are accepted.
 */
export async function readAuditPolicy(
  io: CliIO,
  policyArg: string | undefined,
  noPolicy: boolean,
): Promise<Policy | undefined> {
  const resolved = selectPolicyFile(io.cwd, { policy: policyArg, noPolicy }, POLICY_FILE_NAME);
  if (resolved === undefined) return undefined;
  const policy = await loadPolicyFile(resolved);
  assertKnownAuditRuleIds(
    policy,
    [...auditRuleMetas(KUBE_RULES), ...ENCRYPTION_CONFIG_RULES].map((r) => r.id),
  );
  return policy;
}

const MAX_SKIPPED_SHOWN = 5;

/** Documents a directory walk found that are no Kubernetes objects, on stderr (a few named). */
export function reportSkipped(io: CliIO, skipped: readonly string[]): void {
  for (const message of skipped.slice(0, MAX_SKIPPED_SHOWN))
    writeLine(io.stderr, `portcullis: note: ${message}`);
  if (skipped.length > MAX_SKIPPED_SHOWN) {
    writeLine(
      io.stderr,
      `portcullis: note: ${skipped.length - MAX_SKIPPED_SHOWN} more document(s) found in directories are no Kubernetes objects; skipped`,
    );
  }
}

function render(format: Format, report: AuditReport, objects: number): string {
  switch (format) {
    case 'text':
      return formatAuditText(report, objects);
    case 'json':
      return formatAuditJson(report, objects, toolInfo());
    case 'sarif':
      return formatAuditSarif(report, toolInfo(), auditRuleMetas(KUBE_RULES));
  }
}

async function runManifestAudit(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string' },
      policy: { type: 'string' },
      'no-policy': { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, auditHelp);
    return ExitCode.ok;
  }
  const format = FORMATS.find((f) => f === values.format);
  if (format === undefined) {
    throw new UsageError(`unknown --format "${values.format.slice(0, 40)}": expected ${FORMATS.join(', ')}`);
  }
  if (positionals.length === 0) throw new UsageError('audit needs manifest PATHs, or - for stdin');
  if (positionals.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) may be given once');
  const cliFailOn = parseFailOn(values['fail-on']);
  const policy = await readAuditPolicy(io, values.policy, values['no-policy'] === true);
  const failOn = cliFailOn ?? (policy === undefined ? undefined : auditSettings(policy).failOn);

  const skipped: string[] = [];
  const objects = loadManifests(await readManifestInputs(positionals, io), {
    onSkipped: (message) => skipped.push(message),
  });
  reportSkipped(io, skipped);
  // Not an error (an empty Helm render is legitimate), but a wrong path deserves a word.
  if (objects.length === 0) writeLine(io.stderr, 'portcullis: note: no Kubernetes objects found');
  const report = auditBundle(objects, { rules: KUBE_RULES, ...(policy === undefined ? {} : { policy }) });
  const out = render(format, report, objects.length);
  if (values.output === undefined) io.stdout.write(out);
  else await writeFileAtomic(path.resolve(io.cwd, values.output), out);
  if (failOn === undefined) return ExitCode.ok;
  return report.findings.some((f) => isAtLeast(f.severity, failOn)) ? ExitCode.findings : ExitCode.ok;
}

/**
 * `portcullis audit PATH...|-`: audits Kubernetes manifests (docs/audit.md);
 * `portcullis audit encryption-config FILE` audits an EncryptionConfiguration. Input errors
 * (unreadable or invalid manifests, a bad policy, bad flags) are reported here as
 * `portcullis: message [CODE]` with their exit code, so the command behaves the same when
 * called directly.
 */
export async function runAudit(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    writeLine(io.stderr, auditHelp);
    return ExitCode.usage;
  }
  if (first === 'encryption-config') {
    logger.debug('audit', { subcommand: first });
    // Loaded only when named: the EncryptionConfiguration audit is its own command module.
    const { runAuditEncryptionConfig } = await import('./audit-encryption.js');
    return runAuditEncryptionConfig(rest, io, logger);
  }
  try {
    return await runManifestAudit(argv, io);
  } catch (err) {
    if (isPortcullisError(err)) {
      writeLine(io.stderr, `portcullis: ${err.message} [${err.code}]`);
      return exitCodeFor(err);
    }
    throw err;
  }
}
