import type { DockerInstruction, DockerfileModel, DockerfileRule, Stage } from '../types.js';
import { findingAt, finalStage, splitImage } from './util.js';

/** The last USER in effect for `stage`, following FROM <earlier stage> inheritance. */
export function effectiveUser(model: DockerfileModel, stage: Stage): DockerInstruction | undefined {
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  const last = users[users.length - 1];
  if (last !== undefined) return last;
  if (stage.parentStage === undefined) return undefined;
  const parent = model.stages[stage.parentStage];
  return parent === undefined ? undefined : effectiveUser(model, parent);
}

/** True for `root`, `0`, `root:group`, `0:0`, and Windows' `ContainerAdministrator`. */
export function isRootUser(value: string): boolean {
  const user = (value.trim().split(/[\s:]/)[0] ?? '').toLowerCase();
  return user === 'root' || user === '0' || user === 'containeradministrator';
}

/** The image the final stage's chain of `FROM <stage>` starts from. */
function baseImageOf(model: DockerfileModel, stage: Stage): string {
  const parent = stage.parentStage === undefined ? undefined : model.stages[stage.parentStage];
  return parent === undefined ? stage.image : baseImageOf(model, parent);
}

// Distroless publishes `nonroot` variants whose config already sets USER 65532
// (https://github.com/GoogleContainerTools/distroless#debug-images, "nonroot" tags): inheriting
// that user is not running as root.
function isNonRootBase(image: string): boolean {
  const { name, tag } = splitImage(image.toLowerCase());
  return /(^|\/)distroless\//.test(name) && tag !== undefined && /(^|-)nonroot(-|$)/.test(tag);
}

// Windows containers have no root; their default user is ContainerAdministrator, and
// ContainerUser is the unprivileged account the base images ship.
function isWindowsBase(image: string): boolean {
  return /^mcr\.microsoft\.com\/(windows|powershell|dotnet)\b.*(servercore|nanoserver|windows)/i.test(image);
}

/** The final stage runs as root: no USER at all, or the last USER is root/0. */
export const rootUser: DockerfileRule = {
  id: 'PC-DF-006',
  severity: 'high',
  title: 'Final image runs as root',
  hint: 'Add `USER <non-root uid>` (on Windows, `USER ContainerUser`) to the final stage, after the steps that need root.',
  docs: 'docs/rules/PC-DF-006.md',
  equivalents: { hadolint: ['DL3002'], trivy: ['DS-0002'], checkov: ['CKV_DOCKER_3', 'CKV_DOCKER_8'] },
  check(model) {
    const stage = finalStage(model);
    const user = effectiveUser(model, stage);
    if (user === undefined) {
      const base = baseImageOf(model, stage);
      if (isNonRootBase(base)) return [];
      if (isWindowsBase(base)) {
        return [
          findingAt(
            this,
            model,
            stage.from,
            'the final stage sets no USER, so the container runs as ContainerAdministrator',
          ),
        ];
      }
      return [
        findingAt(this, model, stage.from, 'the final stage sets no USER, so the container runs as root'),
      ];
    }
    if (isRootUser(user.args)) {
      // Report on the USER line when it is in this stage, else on the FROM that inherits it.
      const at = user.stage === stage.index ? user : stage.from;
      return [findingAt(this, model, at, `the last USER of the final stage is ${user.args.trim()}`)];
    }
    return [];
  },
};
