import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic, type Logger } from '../../core/index.js';
import {
  allRules,
  auditImage,
  loadImageRules,
  lintDockerfile,
  type LintFinding,
  type LintOptions,
} from '../../dockerfile/index.js';
import type { LintSettings } from '../../policy/index.js';
import {
  formatLintJson,
  formatLintSarif,
  formatLintText,
  isAtLeast,
  type RuleMeta,
} from '../../report/index.js';
import { ExitCode } from '../exit-codes.js';
import { imageTargetHelp, imageTargetOptions, type ImageTargetFlags } from '../image-target-flags.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { parseFailOn, selectPolicyFile } from '../report-flags.js';
import { toolInfo } from '../tool.js';

/**
 * The default policy file in the working directory (the policy module's POLICY_FILE_NAME; a
 * test keeps them equal). Spelled out here so that plain `lint` does not load the policy
 * module and its YAML parser, about 90 ms of start-up, when there is no policy to read.
 */
export const DEFAULT_POLICY_FILE = 'portcullis.yaml';

export const lintHelp = `Usage: portcullis lint [FILE...] [--format text|json|sarif] [--fail-on SEVERITY]
                      [--policy FILE | --no-policy] [--output FILE]
       portcullis lint --image TARGET [FILE...] [options]

Lints Dockerfiles (default ./Dockerfile): untagged or latest base images, unpinned bases,
base images from untrusted registries, unknown COPY --from stages, root as the final user,
sudo, ADD of URLs, curl|sh, TLS verification turned off, EXPOSE 22, world-writable chmod,
compilers in a single-stage image, secrets in ENV/ARG and RUN (shown redacted), COPY/ADD of
secret files. Every rule is listed in docs/rules/README.md with its own page.

Suppress with "# portcullis-ignore=PC-DF-001 reason" on the line before an instruction,
"# portcullis-ignore-file=PC-DF-001,..." anywhere in the file, or "# hadolint ignore=DL3007"
for rules that map to a hadolint id.

With --image, audits a built image instead (and the FILEs given, if any): runs as root,
secrets in config Env and Labels and in history (leaked build args), credential files, .git
and shell histories in any layer (also when a later layer deletes them, reported with the
layer that holds them), setuid/setgid files, the latest tag, ADD of URLs, no HEALTHCHECK.

The policy file (docs/policy.md) turns rules off, changes their severity (lint.rules), sets
the trusted registries (registries.trusted), extra minimal bases (lint.minimalBases) and the
default --fail-on (lint.failOn). An unknown rule id in it is an error.

Options:
  --format text|json|sarif  output format (default text: file:line:col severity id message,
                            then the fix; json: docs/lint-json.md; sarif: SARIF 2.1.0)
  --fail-on SEVERITY        exit 1 when a finding is at or above critical|high|medium|low|info
                            (overrides the policy's lint.failOn)
  --policy FILE             the policy file (default ./${DEFAULT_POLICY_FILE} when it exists)
  --no-policy               ignore ./${DEFAULT_POLICY_FILE}
  --trusted-registry HOST   a registry or repository prefix base images may come from
                            (repeatable; added to the policy's registries.trusted)
  --image TARGET            audit a built image (targets below)
  --output FILE             write the report to FILE (atomically)

${imageTargetHelp}`;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

/** Every rule `lint` knows: the policy may configure any of them, and SARIF needs their metadata. */
async function knownRules(): Promise<readonly RuleMeta[]> {
  return [...allRules, ...(await loadImageRules())];
}

/** The policy's lint settings: --policy FILE, else ./portcullis.yaml when present, else none. */
async function readPolicySettings(
  io: CliIO,
  policyArg: string | undefined,
  noPolicy: boolean,
): Promise<LintSettings | undefined> {
  const resolved = selectPolicyFile(io.cwd, { policy: policyArg, noPolicy }, DEFAULT_POLICY_FILE);
  if (resolved === undefined) return undefined;
  const { assertKnownRuleIds, lintSettings, loadPolicyFile } = await import('../../policy/index.js');
  const policy = await loadPolicyFile(resolved);
  assertKnownRuleIds(
    policy,
    (await knownRules()).map((r) => r.id),
  );
  return lintSettings(policy);
}

function lintOptions(
  settings: LintSettings | undefined,
  cliTrusted: readonly string[] | undefined,
): LintOptions {
  const trusted =
    settings?.trustedRegistries === undefined && cliTrusted === undefined
      ? undefined
      : [...(settings?.trustedRegistries ?? []), ...(cliTrusted ?? [])];
  return {
    ...(settings === undefined
      ? {}
      : { disabled: settings.disabled, severityOverrides: settings.severityOverrides }),
    ...(settings?.minimalBases === undefined ? {} : { minimalBases: settings.minimalBases }),
    ...(trusted === undefined ? {} : { trustedRegistries: trusted }),
  };
}

async function auditTarget(
  target: string,
  flags: ImageTargetFlags,
  settings: LintSettings | undefined,
  io: CliIO,
  logger: Logger,
): Promise<LintFinding[]> {
  // Loaded here, not at the top: opening images pulls in the OCI stack, which Dockerfile-only
  // runs do not need at start-up.
  const { openTarget } = await import('../image-target.js');
  const opened = await openTarget(target, flags, io, logger);
  try {
    return await auditImage(opened.image, {
      target,
      logger,
      ...(settings === undefined
        ? {}
        : { disabled: settings.disabled, severityOverrides: settings.severityOverrides }),
    });
  } finally {
    await opened.close();
  }
}

async function render(format: Format, findings: readonly LintFinding[]): Promise<string> {
  switch (format) {
    case 'text':
      return formatLintText(findings);
    case 'json':
      return formatLintJson(findings, toolInfo());
    case 'sarif':
      return formatLintSarif(findings, { tool: toolInfo(), rules: await knownRules() });
  }
}

export async function runLint(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string' },
      policy: { type: 'string' },
      'no-policy': { type: 'boolean' },
      'trusted-registry': { type: 'string', multiple: true },
      image: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
      ...imageTargetOptions,
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, lintHelp);
    return ExitCode.ok;
  }
  const format = FORMATS.find((f) => f === values.format);
  if (format === undefined) {
    throw new UsageError(`unknown --format "${values.format.slice(0, 40)}": expected ${FORMATS.join(', ')}`);
  }
  const cliFailOn = parseFailOn(values['fail-on']);
  const settings = await readPolicySettings(io, values.policy, values['no-policy'] === true);
  const options = lintOptions(settings, values['trusted-registry']);
  const failOn = cliFailOn ?? settings?.failOn;

  const findings: LintFinding[] = [];
  if (values.image !== undefined)
    findings.push(...(await auditTarget(values.image, values, settings, io, logger)));
  // With --image, Dockerfiles are linted only when named; without, ./Dockerfile is the default.
  const files = positionals.length > 0 || values.image !== undefined ? positionals : ['Dockerfile'];
  for (const file of files) {
    const resolved = path.resolve(io.cwd, file);
    let text: string;
    try {
      text = await readFile(resolved, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    findings.push(...lintDockerfile(text, file, options));
  }
  const out = await render(format, findings);
  if (values.output === undefined) io.stdout.write(out);
  else await writeFileAtomic(path.resolve(io.cwd, values.output), out);
  if (failOn === undefined) return ExitCode.ok;
  return findings.some((f) => isAtLeast(f.severity, failOn)) ? ExitCode.findings : ExitCode.ok;
}
