import type { DockerInstruction, DockerfileModel, DockerfileRule, LintFinding, Stage } from '../types.js';

/** A finding from `rule` at `ins`. */
export function findingAt(
  rule: DockerfileRule,
  model: DockerfileModel,
  ins: Pick<DockerInstruction, 'line' | 'column'>,
  message: string,
): LintFinding {
  return {
    ruleId: rule.id,
    severity: rule.severity,
    message,
    hint: rule.hint,
    path: model.path,
    line: ins.line,
    column: ins.column,
  };
}

/** The stage `docker build` produces without `--target`. */
export function finalStage(model: DockerfileModel): Stage {
  const last = model.stages[model.stages.length - 1];
  if (last === undefined) throw new Error('a Dockerfile model always has a stage');
  return last;
}

/** True when the stage's FROM names an earlier stage or `scratch`, so no registry image is pulled. */
export function isInternalBase(stage: Stage): boolean {
  return stage.parentStage !== undefined || stage.image.toLowerCase() === 'scratch';
}

export type ImageParts = { readonly name: string; readonly tag?: string; readonly digest?: string };

/** Splits `name[:tag][@digest]` without validating it (FROM may hold unresolved variables). */
export function splitImage(image: string): ImageParts {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : undefined;
  return {
    name,
    ...(tag === undefined || tag === '' ? {} : { tag }),
    ...(digest === undefined || digest === '' ? {} : { digest }),
  };
}

/**
 * Stages whose FROM pulls an image from a registry. A FROM whose image still depends on a
 * variable without a default (`FROM $IMAGE`) is left out: what it pulls is decided at build time.
 */
export function externalStages(model: DockerfileModel): Stage[] {
  return model.stages.filter((s) => !isInternalBase(s) && !isUnresolved(s, model));
}

function isUnresolved(stage: Stage, model: DockerfileModel): boolean {
  if (stage.image === '' || stage.image.includes('$')) return true;
  const names = [...stage.rawImage.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)(:?[-+])?/g)];
  return names.some((m) => m[2] === undefined && (model.globalArgs.get(m[1] ?? '') ?? '') === '');
}

/** RUN instructions, optionally only those of some stages. */
export function runs(model: DockerfileModel, stages?: readonly Stage[]): DockerInstruction[] {
  const list = stages === undefined ? model.instructions : stages.flatMap((s) => s.instructions);
  return list.filter((i) => i.keyword === 'RUN');
}

/** RUN text split into simple commands at `&&`, `||`, `;`, newlines (pipes kept). */
export function shellCommands(text: string): string[] {
  return text
    .split(/&&|\|\||;|\n/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/** True when `word` appears as a whole shell word in `text`. */
export function hasWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[\\s;&|(\`'"/])${escaped}($|[\\s;&|)\`'"])`).test(text);
}
