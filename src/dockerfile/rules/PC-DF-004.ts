import { matchesRepositoryPrefix } from '../../imageref/index.js';
import type { DockerfileRule } from '../types.js';
import { findingAt, finalStage, isInternalBase, splitImage } from './util.js';

const MINIMAL = [
  /(^|\/)distroless\//,
  /^gcr\.io\/distroless\//,
  /^cgr\.dev\//,
  /(^|\/)chainguard\//,
  /(^|\/)alpine$/,
  /(^|\/)ubi\d*-(micro|minimal)$/,
  /(^|\/)ubi\d*\/ubi-(micro|minimal)$/,
  /(^|\/)busybox$/,
];

/** True for base images known to be minimal (distroless, Chainguard, Alpine, `*-slim`, UBI micro/minimal). */
export function isMinimalBase(image: string): boolean {
  const { name, tag } = splitImage(image.toLowerCase());
  if (name === 'scratch') return true;
  if (tag !== undefined && /(^|-)(slim|alpine)([-.\d]|$)|alpine/.test(tag)) return true;
  return MINIMAL.some((re) => re.test(name));
}

/** The final image is not built on a known minimal base. */
export const nonMinimalBase: DockerfileRule = {
  id: 'PC-DF-004',
  severity: 'info',
  title: 'Final image is not built on a known minimal base',
  hint: 'Consider distroless, Chainguard, Alpine, a -slim variant or UBI micro/minimal for the runtime stage.',
  docs: 'docs/rules/PC-DF-004.md',
  equivalents: {},
  check(model, ctx) {
    let stage = finalStage(model);
    while (stage.parentStage !== undefined) {
      const parent = model.stages[stage.parentStage];
      if (parent === undefined) break;
      stage = parent;
    }
    if (isInternalBase(stage) || isMinimalBase(stage.image)) return [];
    // Bases the policy adds (an organisation's own hardened images), matched as prefixes.
    if ((ctx.minimalBases ?? []).some((prefix) => matchesRepositoryPrefix(stage.image, prefix.trim())))
      return [];
    return [
      findingAt(this, model, stage.from, `final image is based on ${stage.image}, not a known minimal base`),
    ];
  },
};
