import type { SecretSpan } from './types.js';

/**
 * Runs a global regex that has the `d` flag and a `secret` named group over `input`, and
 * returns the spans of that group for which `accept` says yes.
 * Throws nothing; a regex without the group yields the whole match.
 */
export function matchSecretGroup(
  re: RegExp,
  input: string,
  accept: (secret: string, match: RegExpMatchArray) => boolean = () => true,
): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const m of input.matchAll(re)) {
    const range = m.indices?.groups?.['secret'] ?? m.indices?.[0];
    if (range === undefined) continue;
    const secret = input.slice(range[0], range[1]);
    if (secret.length > 0 && accept(secret, m)) spans.push({ start: range[0], end: range[1] });
  }
  return spans;
}

/** Decodes standard or URL-safe base64, or returns undefined when it is not base64. */
export function tryDecodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  try {
    return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}
