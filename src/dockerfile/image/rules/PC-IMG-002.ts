import { describeSecret } from '../history.js';
import type { ImageHit, ImageRule } from '../types.js';

/** Secrets in the config's environment and labels: anyone who pulls the image can read them. */
export const secretInConfig: ImageRule = {
  id: 'PC-IMG-002',
  severity: 'critical',
  title: 'Secret in the image config (Env or Labels)',
  hint: 'Rotate the credential, then pass it at run time (a mounted Secret or an env var set on the Pod), never with ENV or LABEL in the build.',
  docs: 'docs/rules/PC-IMG-002.md',
  equivalents: { dockle: ['CIS-DI-0010'], trivy: ['DS-0031'] },
  checkConfig({ config }) {
    const out: ImageHit[] = [];
    for (const entry of config.config?.Env ?? []) {
      const eq = entry.indexOf('=');
      if (eq <= 0) continue;
      const secret = describeSecret(entry.slice(0, eq), entry.slice(eq + 1));
      if (secret !== undefined) out.push({ message: `environment variable ${secret}` });
    }
    for (const [key, value] of Object.entries(config.config?.Labels ?? {})) {
      const secret = describeSecret(key, value);
      if (secret !== undefined) out.push({ message: `label ${secret}` });
    }
    return out;
  },
};
