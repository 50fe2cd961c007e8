import type { DockerfileRule } from '../types.js';
import { findingAt, finalStage, hasWord } from './util.js';

const COMPILERS = [
  'gcc',
  'g++',
  'clang',
  'build-essential',
  'build-base',
  'make',
  'cmake',
  'gcc-c++',
  'golang',
  'rustc',
  'cargo',
];
const INSTALL = /\b(apt-get|apt|apk|yum|dnf|microdnf|zypper)\b[^\n;&|]*\b(install|add)\b/;
/** Build dependencies removed again in the same RUN (the docker-library pattern) do not ship. */
const REMOVE =
  /\b(apk\s+del|(apt-get|apt)\s+(-\S+\s+)*(purge|remove|autoremove)|(yum|dnf|microdnf|zypper)\s+(-\S+\s+)*(remove|erase))\b/;

/** A single-stage image installs a toolchain, which then ships in the runtime image. */
export const compilersInFinalImage: DockerfileRule = {
  id: 'PC-DF-013',
  severity: 'low',
  title: 'Single-stage image installs build tools',
  hint: 'Build in an earlier stage and COPY --from it only the artefacts into a slim runtime stage.',
  docs: 'docs/rules/PC-DF-013.md',
  equivalents: {},
  check(model) {
    if (model.stages.length > 1) return [];
    return finalStage(model)
      .instructions.filter((i) => i.keyword === 'RUN' && !REMOVE.test(i.args))
      .flatMap((i) =>
        i.args
          .split(/&&|;|\|\||\n/)
          .some((cmd) => INSTALL.test(cmd) && COMPILERS.some((c) => hasWord(cmd, c)))
          ? [findingAt(this, model, i, 'build tools are installed in the only (runtime) stage')]
          : [],
      );
  },
};
