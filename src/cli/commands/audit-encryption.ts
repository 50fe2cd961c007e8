import path from 'node:path';
import { parseArgs } from 'node:util';
import { isPortcullisError, writeFileAtomic, type Logger } from '../../core/index.js';
import {
  auditEncryptionConfig,
  applyAuditPolicy,
  ENCRYPTION_CONFIG_RULES,
  EncryptionConfigError,
  formatAuditJson,
  formatAuditSarif,
  formatAuditText,
  loadEncryptionConfigFile,
  type AuditReport,
} from '../../kube/index.js';
import { isAtLeast } from '../../report/index.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { parseFailOn } from '../report-flags.js';
import { readAuditPolicy } from './audit.js';
import { auditSettings } from '../../policy/index.js';
import { toolInfo } from '../tool.js';

export const auditEncryptionHelp = `Usage: portcullis audit encryption-config FILE [--format text|json|sarif]
                                         [--fail-on SEVERITY] [--policy FILE | --no-policy]
                                         [--output FILE]

Audits the EncryptionConfiguration given to kube-apiserver with --encryption-provider-config
(docs/encryption-config.md). The file is first parsed the way the API server parses it: an
unknown field, a bad key, a KMS v2 name reused, a resource masked by an earlier wildcard are
errors naming the line and field, and exit 2. Then: identity first for Secrets (plain-text
writes) and Secrets not covered (high); aescbc and aesgcm encrypting writes, KMS v1 (medium);
aescbc keys that are not 32 bytes, duplicate key names, non-random keys; wildcards and
plain-text opt-outs (info). Key material is never printed.

Options:
  --format text|json|sarif  output (default text; json: docs/audit-json.schema.json)
  --fail-on SEVERITY        exit 1 when a finding is at or above critical|high|medium|low|info
                            (default: the policy's audit.failOn, else high)
  --policy FILE             the policy file (default ./portcullis.yaml when it exists): its audit
                            section turns rules off, changes severities and ignores findings
                            (kind EncryptionConfiguration, name: the file's base name)
  --no-policy               ignore ./portcullis.yaml
  --output FILE             write the report to FILE (atomically)

Exit codes: 0 no finding at or above the threshold, 1 one is, 2 invalid file or flags.`;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

function render(report: AuditReport, format: Format): string {
  switch (format) {
    case 'text':
      return formatAuditText(report, 1);
    case 'json':
      return formatAuditJson(report, 1, toolInfo());
    case 'sarif':
      return formatAuditSarif(report, toolInfo(), ENCRYPTION_CONFIG_RULES);
  }
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string' },
      policy: { type: 'string' },
      'no-policy': { type: 'boolean' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    writeLine(io.stdout, auditEncryptionHelp);
    return ExitCode.ok;
  }
  const [file] = positionals;
  if (file === undefined || positionals.length !== 1) {
    throw new UsageError(`audit encryption-config takes exactly one FILE, got ${positionals.length}`);
  }
  const format = FORMATS.find((f) => f === values.format);
  if (format === undefined) {
    throw new UsageError(
      `--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(values.format.slice(0, 20))}`,
    );
  }
  const policy = await readAuditPolicy(io, values.policy, values['no-policy'] === true);
  const failOn =
    parseFailOn(values['fail-on']) ??
    (policy === undefined ? undefined : auditSettings(policy).failOn) ??
    'high';
  // Messages and findings name the file as it was given, like the manifest audit.
  const findings = auditEncryptionConfig(await loadEncryptionConfigFile(path.resolve(io.cwd, file), file));
  const report: AuditReport = applyAuditPolicy(findings, policy);
  const out = render(report, format);
  if (values.output === undefined) io.stdout.write(out);
  else await writeFileAtomic(path.resolve(io.cwd, values.output), out);
  return report.findings.some((f) => isAtLeast(f.severity, failOn)) ? ExitCode.findings : ExitCode.ok;
}

/**
 * `portcullis audit encryption-config FILE`: parses and audits an EncryptionConfiguration.
 * Input errors are printed here as `portcullis: message [CODE]` (an invalid file lists every
 * problem with its line) and return their exit code: 2 for an invalid or unreadable file.
 */
export async function runAuditEncryptionConfig(argv: string[], io: CliIO, _logger: Logger): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    writeLine(io.stderr, `portcullis: ${err.message} [${err.code}]`);
    if (err instanceof EncryptionConfigError) {
      return err.code === 'ENCRYPTION_CONFIG_TOO_LARGE' ? ExitCode.limit : ExitCode.usage;
    }
    return exitCodeFor(err);
  }
}
