import { splitShellCommands } from '../shell.js';
import type { DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

/** Source paths (by their last segments) that usually hold credentials. */
const SECRET_SOURCE =
  /(^|\/)(\.env(\.[\w-]+)?|id_(rsa|dsa|ecdsa|ed25519)|[^/]*\.(pem|key|p12|pfx)|\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.aws\/credentials|\.docker\/config\.json|kubeconfig|\.kube\/config|\.git)\/?$/i;
/** Example env files are templates, not secrets. */
const TEMPLATE = /\.env\.(example|sample|template|dist|defaults?)$/i;

/** COPY and ADD of files that look like credentials (keys, .env, registry and cloud config). */
export const copySecretFiles: DockerfileRule = {
  id: 'PC-DF-016',
  severity: 'medium',
  title: 'COPY or ADD of a secret-looking file',
  hint: 'Keep credentials out of the build context with .dockerignore; pass them with RUN --mount=type=secret (docker build --secret) instead.',
  docs: 'docs/rules/PC-DF-016.md',
  equivalents: { trivy: ['DS-0031'] },
  check(model) {
    return model.instructions.flatMap((ins) => {
      if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') return [];
      const words = (splitShellCommands(ins.args)[0] ?? []).filter((w) => !w.startsWith('--'));
      const sources = words.slice(0, -1).filter((s) => SECRET_SOURCE.test(s) && !TEMPLATE.test(s));
      return sources.length === 0
        ? []
        : [findingAt(this, model, ins, `${ins.keyword} puts ${sources.join(', ')} into the image`)];
    });
  },
};
