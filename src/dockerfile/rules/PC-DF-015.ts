import { splitShellCommands } from '../shell.js';
import type { DockerfileRule } from '../types.js';
import { engineFindings, isPlaceholderValue, redact } from './secret-util.js';
import { findingAt, runs } from './util.js';

const MYSQL_CLIENTS = new Set([
  'mysql',
  'mysqladmin',
  'mysqldump',
  'mysqlimport',
  'mariadb',
  'mariadb-admin',
  'mariadb-dump',
]);
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/i;
const URL_TOKEN =
  /[?&](?:access_token|token|api_?key|apikey|password|passwd|secret|private_token)=([^&\s#]+)/i;
const SECRET_FILE =
  /(?:^|\/)(?:\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.docker\/config\.json|\.aws\/credentials|\.env)["']?$/;
const ECHO_TO_FILE = /\b(?:echo|printf)\b([^|;&]*?)>>?\s*(\S+)/g;
const SECRET_VAR = /\$\{?[A-Za-z_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|ACCESS_?KEY|AUTH)[A-Za-z_]*\}?/i;

/** What in one simple command passes a credential, as a redacted description. */
function commandSecret(words: readonly string[]): string | undefined {
  const cmd = (words[0] ?? '').split('/').pop() ?? '';
  const args = words.slice(1);
  for (let k = 0; k < args.length; k++) {
    const a = args[k] ?? '';
    const next = args[k + 1] ?? '';
    if (cmd === 'curl') {
      const user =
        a === '-u' || a === '--user'
          ? next
          : a.startsWith('--user=')
            ? a.slice(7)
            : /^-u./.test(a)
              ? a.slice(2)
              : undefined;
      const pass = user?.includes(':') === true ? user.slice(user.indexOf(':') + 1) : undefined;
      if (pass !== undefined && !isPlaceholderValue(pass)) return `curl -u with a password (${redact(pass)})`;
    }
    const pw = a === '--password' ? next : a.startsWith('--password=') ? a.slice(11) : undefined;
    if (pw !== undefined && !pw.startsWith('-') && !isPlaceholderValue(pw))
      return `${cmd} --password ${redact(pw)}`;
    if (MYSQL_CLIENTS.has(cmd) && /^-p./.test(a) && !isPlaceholderValue(a.slice(2)))
      return `${cmd} -p${redact(a.slice(2))}`;
  }
  return undefined;
}

function textSecret(text: string): string | undefined {
  const cred = URL_CREDENTIALS.exec(text)?.[1];
  if (cred !== undefined && !isPlaceholderValue(cred)) return `credentials in a URL (${redact(cred)})`;
  const token = URL_TOKEN.exec(text)?.[1];
  if (token !== undefined && !isPlaceholderValue(token)) return `a token in a URL query (${redact(token)})`;
  for (const [, what = '', file = ''] of text.matchAll(ECHO_TO_FILE)) {
    if (SECRET_VAR.test(what)) return `a secret variable is written to ${file}`;
    if (SECRET_FILE.test(file)) return `credentials are written to ${file}`;
  }
  return undefined;
}

/** RUN commands that put a credential on the command line, in a URL, or into a file in the layer. */
export const secretInRun: DockerfileRule = {
  id: 'PC-DF-015',
  severity: 'high',
  title: 'Secret in RUN',
  hint: 'Use RUN --mount=type=secret,id=... (docker build --secret) and read the secret from the mounted file; never write it into a layer.',
  docs: 'docs/rules/PC-DF-015.md',
  equivalents: {},
  check(model) {
    return runs(model).flatMap((ins) => {
      const found =
        splitShellCommands(ins.args)
          .map(commandSecret)
          .find((s) => s !== undefined) ??
        textSecret(ins.args) ??
        (engineFindings(ins.raw).length > 0
          ? `a secret in the command (${engineFindings(ins.raw).join(', ')})`
          : undefined);
      return found === undefined ? [] : [findingAt(this, model, ins, `RUN passes ${found}`)];
    });
  },
};
