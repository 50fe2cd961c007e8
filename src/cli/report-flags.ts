import { existsSync } from 'node:fs';
import path from 'node:path';
import { SEVERITIES, tryParseSeverity, type Severity } from '../report/index.js';
import { UsageError } from './io.js';

/**
 * The severity of a `--fail-on` flag, or undefined when it was not given.
 *
 * @throws UsageError naming the flag's value and the severities it may take.
 */
export function parseFailOn(raw: string | undefined): Severity | undefined {
  if (raw === undefined) return undefined;
  const severity = tryParseSeverity(raw);
  if (severity === undefined) {
    throw new UsageError(`unknown --fail-on "${raw.slice(0, 20)}": expected ${SEVERITIES.join(', ')}`);
  }
  return severity;
}

/**
 * The absolute path of the policy file a command reads: `--policy FILE`, else `defaultFile`
 * (the policy module's POLICY_FILE_NAME) in the working directory when it exists, else none;
 * `--no-policy` ignores the default file. Paths resolve against the command's working
 * directory, so errors name an unambiguous file. The caller loads it (this module does not
 * import the policy module, which commands without a policy need not load).
 *
 * @throws UsageError for --policy with --no-policy.
 */
export function selectPolicyFile(
  cwd: string,
  flags: { readonly policy: string | undefined; readonly noPolicy: boolean },
  defaultFile: string,
): string | undefined {
  if (flags.noPolicy && flags.policy !== undefined) {
    throw new UsageError('--policy and --no-policy exclude each other');
  }
  if (flags.noPolicy) return undefined;
  const resolved = path.resolve(cwd, flags.policy ?? defaultFile);
  if (flags.policy === undefined && !existsSync(resolved)) return undefined;
  return resolved;
}
