import type { DockerfileRule } from '../types.js';
import { findingAt } from './util.js';

const PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/--no-check-certificate\b/, 'wget --no-check-certificate'],
  [/\bcurl\b[^\n;&|]*\s(-[a-zA-Z]*k[a-zA-Z]*|--insecure)\b/, 'curl -k/--insecure'],
  [/--allow-unauthenticated\b/, 'apt --allow-unauthenticated'],
  [/--allow-untrusted\b/, 'apk --allow-untrusted'],
  [/--nogpgcheck\b|gpgcheck\s*=\s*0/, 'package manager with GPG checks off'],
  [/\bpip[0-9.]*\b[^\n;&|]*--trusted-host\b|PIP_TRUSTED_HOST/, 'pip --trusted-host'],
  [
    /\b(npm|yarn|pnpm)\s+config\s+set\s+strict-ssl\s+false\b|NPM_CONFIG_STRICT_SSL\s*=?\s*false/i,
    'npm strict-ssl false',
  ],
  [/GIT_SSL_NO_VERIFY\s*[=\s]\s*["']?(1|true)|http\.sslVerify\s+false/i, 'git TLS verification off'],
  [/NODE_TLS_REJECT_UNAUTHORIZED\s*[=\s]\s*["']?0/, 'NODE_TLS_REJECT_UNAUTHORIZED=0'],
  [/PYTHONHTTPSVERIFY\s*[=\s]\s*["']?0/, 'PYTHONHTTPSVERIFY=0'],
];

const KEYWORDS = new Set(['RUN', 'ENV', 'ARG']);

/** TLS certificate or package signature verification is turned off. */
export const tlsVerificationOff: DockerfileRule = {
  id: 'PC-DF-010',
  severity: 'high',
  title: 'TLS or signature verification is disabled',
  hint: 'Keep verification on; add the CA certificate or signing key you need instead.',
  docs: 'docs/rules/PC-DF-010.md',
  equivalents: {},
  check(model) {
    return model.instructions.flatMap((i) => {
      if (!KEYWORDS.has(i.keyword)) return [];
      const hit = PATTERNS.find(([re]) => re.test(i.args));
      return hit === undefined ? [] : [findingAt(this, model, i, `verification disabled: ${hit[1]}`)];
    });
  },
};
