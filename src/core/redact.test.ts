import { describe, expect, it } from 'vitest';
import { isSecretLikeName, redactEnvEntry, redactSecret } from './redact.js';

describe('redactSecret', () => {
  it.each([
    ['', ''],
    ['short', '*****'],
    ['supersecretpassword', 'sup********'],
  ])('redacts %j without revealing the rest', (input, expected) => {
    expect(redactSecret(input)).toBe(expected);
    if (input.length > 0) expect(redactSecret(input)).not.toContain(input.slice(3));
  });
});

describe('redactEnvEntry', () => {
  it.each([
    ['PATH=/usr/bin:/bin', 'PATH=/usr/bin:/bin', false],
    ['DB_PASSWORD=hunter2hunter2', 'DB_PASSWORD=hun********', true],
    ['GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'GITHUB_TOKEN=ghp********', true],
    ['AWS_KEY_ID=AKIAIOSFODNN7EXAMPLE', 'AWS_KEY_ID=AKI********', true],
    ['DATABASE_URL=postgres://app:s3cretpw@db:5432/app', 'DATABASE_URL=pos********', true],
    ['API_KEY=', 'API_KEY=', false],
    ['HOME=/root', 'HOME=/root', false],
  ])('%s → %s', (input, expected, redacted) => {
    expect(redactEnvEntry(input)).toEqual({ entry: expected, redacted });
  });
});

describe('isSecretLikeName', () => {
  it.each([
    ['MYSQL_ROOT_PASSWORD', true],
    ['client_secret', true],
    ['NPM_TOKEN', true],
    ['api-key', true],
    ['PASSAGE', false],
    ['TOKENIZER_MODEL', false],
    ['NODE_VERSION', false],
  ])('%s → %s', (name, expected) => {
    expect(isSecretLikeName(name)).toBe(expected);
  });
});
