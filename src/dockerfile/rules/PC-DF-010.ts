import { splitAssignment, splitShellCommands } from '../shell.js';
import type { DockerInstruction, DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

/** Environment variables that turn verification off, and the values that do it. */
const ENV_OFF: Readonly<Record<string, (value: string) => boolean>> = {
  GIT_SSL_NO_VERIFY: (v) => v !== '',
  NODE_TLS_REJECT_UNAUTHORIZED: (v) => v === '0',
  NPM_CONFIG_STRICT_SSL: (v) => v.toLowerCase() === 'false',
  PIP_TRUSTED_HOST: (v) => v !== '',
  PYTHONHTTPSVERIFY: (v) => v === '0',
};

function envOff(name: string, value: string): string | undefined {
  const key = name.toUpperCase() === 'NPM_CONFIG_STRICT_SSL' ? 'NPM_CONFIG_STRICT_SSL' : name;
  const test = ENV_OFF[key];
  return test !== undefined && test(value) ? `${name}=${value}` : undefined;
}

const SSLVERIFY_OFF = /(^|\.)sslverify=(0|false|no)$/i;
const RPM_NO_VERIFY = new Set(['--nodigest', '--nosignature', '--noverify', '--nofiledigest']);

/** What in one simple command turns verification off, if anything. */
function commandOff(words: readonly string[]): string | undefined {
  let i = 0;
  for (; i < words.length; i++) {
    const pair = splitAssignment(words[i] ?? '');
    if (pair === undefined) break;
    const off = envOff(pair[0], pair[1]);
    if (off !== undefined) return off;
  }
  const cmd = (words[i] ?? '').split('/').pop() ?? '';
  const args = words.slice(i + 1);
  const has = (flag: string): boolean => args.includes(flag);
  switch (cmd) {
    case 'export':
    case 'env':
      for (const w of args) {
        const pair = splitAssignment(w);
        const off = pair === undefined ? undefined : envOff(pair[0], pair[1]);
        if (off !== undefined) return off;
      }
      return undefined;
    case 'wget':
      return has('--no-check-certificate') ? 'wget --no-check-certificate' : undefined;
    case 'curl':
      return args.some((a) => a === '--insecure' || /^-[a-zA-Z]*k[a-zA-Z]*$/.test(a))
        ? 'curl --insecure'
        : undefined;
    case 'apt-get':
    case 'apt':
    case 'aptitude':
      if (has('--allow-unauthenticated')) return `${cmd} --allow-unauthenticated`;
      if (has('--force-yes')) return `${cmd} --force-yes`;
      return has('--allow-insecure-repositories') ? `${cmd} --allow-insecure-repositories` : undefined;
    case 'apk':
      return has('--allow-untrusted') ? 'apk --allow-untrusted' : undefined;
    case 'yum':
    case 'dnf':
    case 'tdnf':
    case 'microdnf':
    case 'zypper':
    case 'yum-config-manager':
    case 'dnf-config-manager':
      if (has('--nogpgcheck') || has('--no-gpg-checks')) return `${cmd} --nogpgcheck`;
      return args.some((a) => a.startsWith('--setopt=') && SSLVERIFY_OFF.test(a.slice('--setopt='.length)))
        ? `${cmd} sslverify off`
        : undefined;
    case 'rpm':
      return args.some((a) => RPM_NO_VERIFY.has(a)) ? 'rpm without signature/digest checks' : undefined;
    case 'npm':
    case 'yarn':
    case 'pnpm': {
      const at = args.indexOf('set');
      if (at < 0) return undefined;
      const key = (args[at + 1] ?? '').toLowerCase();
      const value = key.startsWith('strict-ssl=')
        ? key.slice('strict-ssl='.length)
        : (args[at + 2] ?? '').toLowerCase();
      return (key === 'strict-ssl' || key.startsWith('strict-ssl=')) && value === 'false'
        ? `${cmd} strict-ssl false`
        : undefined;
    }
    case 'git': {
      const text = args.join(' ').toLowerCase();
      return /http\.sslverify[= ](false|0|no)\b/.test(text) ? 'git http.sslVerify false' : undefined;
    }
    default:
      if (
        /^pip[0-9.]*$/.test(cmd) ||
        (/^python[0-9.]*$/.test(cmd) && args[0] === '-m' && /^pip/.test(args[1] ?? ''))
      ) {
        return args.some((a) => a === '--trusted-host' || a.startsWith('--trusted-host='))
          ? 'pip --trusted-host'
          : undefined;
      }
      return undefined;
  }
}

/** ENV/ARG: `NAME value` (one pair) or `NAME=value ...`. */
function assignmentsOff(ins: DockerInstruction): string | undefined {
  const words = splitShellCommands(ins.args.replace(/\n/g, ' ')).flat();
  const first = words[0];
  if (first === undefined) return undefined;
  if (!first.includes('=')) return envOff(first, words.slice(1).join(' '));
  for (const w of words) {
    const pair = splitAssignment(w);
    const off = pair === undefined ? undefined : envOff(pair[0], pair[1]);
    if (off !== undefined) return off;
  }
  return undefined;
}

/** TLS certificate or package signature verification is turned off. */
export const tlsVerificationOff: DockerfileRule = {
  id: 'PC-DF-010',
  severity: 'high',
  title: 'TLS or signature verification is disabled',
  hint: 'Keep verification on; add the CA certificate or signing key you need instead.',
  docs: 'docs/rules/PC-DF-010.md',
  equivalents: {},
  check(model) {
    return model.instructions.flatMap((ins) => {
      let off: string | undefined;
      if (ins.keyword === 'RUN') {
        for (const words of splitShellCommands(ins.args)) {
          off = commandOff(words);
          if (off !== undefined) break;
        }
      } else if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
        off = assignmentsOff(ins);
      }
      return off === undefined ? [] : [findingAt(this, model, ins, `verification disabled: ${off}`)];
    });
  },
};
