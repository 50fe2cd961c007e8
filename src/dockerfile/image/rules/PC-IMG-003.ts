import { describeSecret, describeSecretsIn, parseAssignments, parseCreatedBy } from '../history.js';
import type { ImageHit, ImageRule } from '../types.js';

/**
 * Secrets recorded in the build history: build args that RUN steps saw (`|1 TOKEN=... /bin/sh
 * -c ...`, how docker and buildah record them), ENV and ARG values, and credentials written
 * into commands. History ships with the image and `docker history` shows it.
 */
export const secretInHistory: ImageRule = {
  id: 'PC-IMG-003',
  severity: 'critical',
  title: 'Secret in the image history (build args, ENV, commands)',
  hint: 'Rotate the credential. Pass build secrets with RUN --mount=type=secret (docker build --secret / buildah --secret), never --build-arg or ENV: their values are recorded in the image history.',
  docs: 'docs/rules/PC-IMG-003.md',
  equivalents: { trivy: ['DS-0031'] },
  checkConfig({ config, history }) {
    // A build arg is recorded again on every RUN step after its ARG: one finding per value,
    // at its first entry, naming the others.
    const first = new Map<string, { hit: { message: string; layer: ImageHit['layer'] }; more: number[] }>();
    const add = (key: string, index: number, message: string, layer: ImageHit['layer']): void => {
      const seen = first.get(key);
      if (seen === undefined) first.set(key, { hit: { message, layer }, more: [] });
      else seen.more.push(index);
    };
    // The final config's Env is PC-IMG-002's: the same value in an ENV step is one leak, reported there.
    const finalEnv = new Set(config.config?.Env ?? []);
    for (const step of history) {
      const where = `history entry ${step.index}`;
      const parsed = parseCreatedBy(step.createdBy);
      for (const [name, value] of parsed.buildArgs) {
        const secret = describeSecret(name, value);
        if (secret !== undefined)
          add(`arg\0${name}\0${value}`, step.index, `${where}: build arg ${secret}`, step.layer);
      }
      if (parsed.keyword === 'ENV' || parsed.keyword === 'ARG') {
        for (const [name, value] of parseAssignments(parsed.args)) {
          if (parsed.keyword === 'ENV' && finalEnv.has(`${name}=${value}`)) continue;
          const secret = describeSecret(name, value);
          if (secret !== undefined)
            add(`arg\0${name}\0${value}`, step.index, `${where}: ${parsed.keyword} ${secret}`, step.layer);
        }
      } else if (parsed.keyword !== 'LABEL') {
        for (const secret of describeSecretsIn(parsed.args))
          add(`cmd\0${step.index}\0${secret}`, step.index, `${where}: ${secret} in the command`, step.layer);
      }
    }
    const out: ImageHit[] = [];
    for (const { hit, more } of first.values()) {
      const also =
        more.length === 0
          ? ''
          : ` (recorded again in history ${more.length === 1 ? 'entry' : 'entries'} ${more.join(', ')})`;
      out.push({ message: `${hit.message}${also}`, layer: hit.layer });
    }
    return out;
  },
};
