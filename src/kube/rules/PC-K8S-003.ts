import { asArray, asString, describeContainer, podOf, type PodContainer } from '../pod.js';
import type { ObjectRule, RuleHit } from '../types.js';
import { isRealLookingValue, isSecretName, redact, secretsIn } from './secret-values.js';

// `--password=x`, `-token=x`: an option whose name says it carries a credential, with its value.
const OPTION_WITH_VALUE = /^--?([A-Za-z][\w.-]*)=(.+)$/;
// `--password x`: the value is the next word.
const OPTION_ALONE = /^--?([A-Za-z][\w.-]*)$/;
// The MySQL and MariaDB clients take `-pSECRET` glued to the flag.
const MYSQL_CLIENTS =
  /(?:^|\/)(?:mysql|mysqladmin|mysqldump|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump|mariadb-admin)$/;

/**
 * Why a word of a command line (or the word after it) is a credential, or undefined. Only the
 * first `anchors` words are judged; the rest are there as option values.
 */
function credentialInWords(
  words: readonly string[],
  program: string,
  anchors = words.length,
): string | undefined {
  for (let i = 0; i < Math.min(anchors, words.length); i++) {
    const word = words[i] ?? '';
    const withValue = OPTION_WITH_VALUE.exec(word) ?? undefined;
    if (withValue !== undefined) {
      const [, name = '', value = ''] = withValue;
      const v = value.replace(/^(["'])(.*)\1$/, '$2');
      if (isSecretName(name) && isRealLookingValue(v)) return `${word.split('=')[0] ?? ''}=${redact(v)}`;
      continue;
    }
    const alone = OPTION_ALONE.exec(word) ?? undefined;
    const next = words[i + 1];
    if (alone !== undefined && next !== undefined && !next.startsWith('-')) {
      const name = alone[1] ?? '';
      // `-p 3306` is a port to most programs; only long options and mysql's -p count here.
      if (word.startsWith('--') && isSecretName(name) && isRealLookingValue(next)) {
        return `${word} ${redact(next)}`;
      }
    }
    if (MYSQL_CLIENTS.test(program) && /^-p.+/.test(word) && isRealLookingValue(word.slice(2))) {
      return `-p${redact(word.slice(2))}`;
    }
  }
  return undefined;
}

/** The words of a command or args list, with the program each word belongs to. */
function commandLine(c: PodContainer): { field: 'command' | 'args'; index: number; text: string }[] {
  const out: { field: 'command' | 'args'; index: number; text: string }[] = [];
  for (const field of ['command', 'args'] as const) {
    asArray(c.container[field]).forEach((w, index) => {
      const text = asString(w);
      if (text !== undefined) out.push({ field, index, text });
    });
  }
  return out;
}

/** Credentials passed on a container's command line, where `ps`, the API and logs show them. */
export const commandLineSecret: ObjectRule = {
  meta: {
    id: 'PC-K8S-003',
    severity: 'high',
    title: 'Secret in a container command or args',
    hint: 'Pass the credential in a file mounted from a Secret (or an env var from one) and point the program at it, e.g. --password-file; never put it on the command line.',
    docs: 'docs/rules/PC-K8S-003.md',
    equivalents: {},
  },
  *check(object) {
    const pod = podOf(object.resource.kind, object.object);
    if (pod === undefined) return;
    for (const c of pod.containers) {
      const line = commandLine(c);
      const program = line[0]?.text ?? '';
      const words = line.map((w) => w.text);
      for (let i = 0; i < line.length; i++) {
        const w = line[i];
        if (w === undefined) continue;
        // A word with spaces is a script (sh -c "..."): judge its own words; otherwise the word
        // and the one after it.
        const inner = w.text.trim().split(/\s+/);
        const why =
          secretsIn(w.text)[0] ??
          (inner.length > 1
            ? credentialInWords(inner, inner.find((x) => MYSQL_CLIENTS.test(x)) ?? inner[0] ?? '')
            : credentialInWords(words.slice(i, i + 2), program, 1));
        if (why === undefined) continue;
        yield {
          path: [...c.path, w.field, w.index],
          message: `${describeContainer(c)} passes a credential in ${w.field}[${w.index}] (${why})`,
        } satisfies RuleHit;
      }
    }
  },
};
