import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic, type Logger } from '../../core/index.js';
import { lintDockerfile, type LintFinding, type Severity } from '../../dockerfile/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';

export const lintHelp = `Usage: portcullis lint [FILE...] [--format text|json] [--fail-on SEVERITY] [--output FILE]

Lints Dockerfiles (default ./Dockerfile): untagged or latest base images, unpinned bases,
unknown COPY --from stages, root as the final user, sudo, ADD of URLs, curl|sh, TLS
verification turned off, EXPOSE 22, world-writable chmod, compilers in a single-stage image,
secrets in ENV/ARG and RUN (shown redacted), COPY/ADD of secret files.
Rules are documented in docs/rules/PC-DF-NNN.md.

Suppress with "# portcullis-ignore=PC-DF-001 reason" on the line before an instruction,
"# portcullis-ignore-file=PC-DF-001,..." anywhere in the file, or "# hadolint ignore=DL3007"
for rules that map to a hadolint id.

Options:
  --format text|json       output format (default text: file:line:col severity id message)
  --fail-on SEVERITY       exit 1 when a finding is at or above critical|high|medium|low|info
  --trusted-registry HOST  a registry base images may come from (repeatable)
  --output FILE            write the report to FILE (atomically)`;

const ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export async function runLint(argv: string[], io: CliIO, _logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string' },
      'trusted-registry': { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, lintHelp);
    return ExitCode.ok;
  }
  if (values.format !== 'text' && values.format !== 'json') {
    throw new UsageError(`unknown --format "${values.format.slice(0, 40)}": expected text or json`);
  }
  const failOnRaw = values['fail-on']?.toLowerCase();
  const failOn = failOnRaw === undefined ? undefined : ORDER.find((s) => s === failOnRaw);
  if (failOnRaw !== undefined && failOn === undefined) {
    throw new UsageError(
      `unknown --fail-on "${failOnRaw.slice(0, 20)}": expected ${[...ORDER].reverse().join(', ')}`,
    );
  }
  const files = positionals.length > 0 ? positionals : ['Dockerfile'];
  const findings: LintFinding[] = [];
  for (const file of files) {
    const resolved = path.resolve(io.cwd, file);
    let text: string;
    try {
      text = await readFile(resolved, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    findings.push(
      ...lintDockerfile(
        text,
        file,
        values['trusted-registry'] === undefined ? {} : { trustedRegistries: values['trusted-registry'] },
      ),
    );
  }
  const out =
    values.format === 'json'
      ? `${JSON.stringify({ schemaVersion: 1, findings }, undefined, 2)}\n`
      : findings
          .map(
            (f) =>
              `${f.path}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message}\n    fix: ${f.hint}`,
          )
          .join('\n') + (findings.length > 0 ? '\n' : '');
  if (values.output === undefined) io.stdout.write(out);
  else await writeFileAtomic(path.resolve(io.cwd, values.output), out);
  if (failOn === undefined) return ExitCode.ok;
  const threshold = ORDER.indexOf(failOn);
  return findings.some((f) => ORDER.indexOf(f.severity) >= threshold) ? ExitCode.findings : ExitCode.ok;
}
