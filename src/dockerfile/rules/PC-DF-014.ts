import { splitShellCommands } from '../shell.js';
import type { DockerInstruction, DockerfileModel, DockerfileRule, LintFinding } from '../types.js';
import { findingAt } from './util.js';
import { engineFindings, isPlaceholderValue, isSecretName, redact } from './secret-util.js';

/** `NAME=value` pairs of an ENV or ARG (ARG without a default gives `undefined`). */
function variables(ins: DockerInstruction): [string, string | undefined][] {
  const words = (splitShellCommands(ins.args)[0] ?? []).filter((w) => !w.startsWith('--'));
  const first = words[0] ?? '';
  if (ins.keyword === 'ENV' && first !== '' && !first.includes('=')) {
    return [[first, words.slice(1).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** ENV and ARG that bake a credential into the image config or its history. */
export const secretInEnv: DockerfileRule = {
  id: 'PC-DF-014',
  severity: 'high',
  title: 'Secret in ENV or ARG',
  hint: 'Pass build secrets with RUN --mount=type=secret (docker build --secret) and runtime secrets at run time; never as ENV or --build-arg.',
  docs: 'docs/rules/PC-DF-014.md',
  equivalents: { trivy: ['DS-0031'] },
  check(model: DockerfileModel) {
    const out: LintFinding[] = [];
    for (const ins of model.instructions) {
      if (ins.keyword !== 'ENV' && ins.keyword !== 'ARG') continue;
      for (const [name, value] of variables(ins)) {
        if (value === undefined) {
          if (ins.keyword === 'ARG' && isSecretName(name)) {
            out.push({
              ...findingAt(
                this,
                model,
                ins,
                `ARG ${name} takes a secret-like value: --build-arg values stay in the image history`,
              ),
              severity: 'low',
            });
          }
          continue;
        }
        if (isPlaceholderValue(value)) continue;
        if (isSecretName(name)) {
          out.push(
            findingAt(
              this,
              model,
              ins,
              `${ins.keyword} ${name} holds a secret-like value (${redact(value)})`,
            ),
          );
          continue;
        }
        const found = engineFindings(`${name}=${value}`);
        if (found.length > 0) {
          out.push(
            findingAt(this, model, ins, `${ins.keyword} ${name} holds a secret (${found.join(', ')})`),
          );
        }
      }
    }
    return out;
  },
};
