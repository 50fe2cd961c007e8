import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { auditEncryptionConfig } from './audit.js';
import { formatEncryptionConfig, generateEncryptionConfig, GENERATED_PROVIDERS } from './generate.js';
import { parseEncryptionConfig } from './parse.js';

const NOW = new Date('2026-11-27T06:00:00Z');

function roundTrip(text: string) {
  return parseEncryptionConfig(text, 'generated.yaml');
}

describe('generateEncryptionConfig', () => {
  it.each(GENERATED_PROVIDERS)('%s: parses, passes our audit with no high finding', (provider) => {
    const generated = generateEncryptionConfig({
      provider,
      now: NOW,
      kms: { endpoint: 'unix:///run/kms.sock' },
    });
    const loaded = roundTrip(formatEncryptionConfig(generated.config, 'generated'));
    const findings = auditEncryptionConfig(loaded);
    expect(findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toEqual([]);
    expect(loaded.config.resources).toHaveLength(1);
    const providers = loaded.config.resources[0]?.providers ?? [];
    expect(providers.at(-1)).toEqual({ type: 'identity' });
    const first = providers[0];
    if (first?.type === 'kms') {
      expect(first).toEqual({
        type: 'kms',
        apiVersion: 'v2',
        name: 'kms-20261127',
        endpoint: 'unix:///run/kms.sock',
        timeout: '3s',
      });
    } else if (first !== undefined && first.type !== 'identity') {
      expect(first.keys.map((k) => k.name)).toEqual(['key-20261127']);
      expect(Buffer.from(first.keys[0]?.secret ?? '', 'base64')).toHaveLength(32);
    } else {
      expect.unreachable('the first provider encrypts');
    }
  });

  it('draws a fresh key every time', () => {
    const a = generateEncryptionConfig({ now: NOW }).config.resources[0]?.providers[0];
    const b = generateEncryptionConfig({ now: NOW }).config.resources[0]?.providers[0];
    expect(
      a?.type === 'secretbox' && b?.type === 'secretbox' && a.keys[0]?.secret !== b.keys[0]?.secret,
    ).toBe(true);
  });

  it('refuses kms-v2 without a unix endpoint', () => {
    expect(() => generateEncryptionConfig({ provider: 'kms-v2' })).toThrow(/unix:\/\//);
    expect(() => generateEncryptionConfig({ provider: 'kms-v2', kms: { endpoint: 'tcp://x' } })).toThrow(
      /unix:\/\//,
    );
  });

  it('rotates: the new key first in the same provider, old keys after it, identity last', () => {
    const old = roundTrip(
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n      - secretbox: {keys: [{name: key-20261127, secret: ${Buffer.alloc(32, 1).toString('base64')}}]}\n`,
    );
    const rotated = generateEncryptionConfig({
      now: NOW,
      rotateFrom: old.config,
      random: (n) => Buffer.alloc(n, 2),
    });
    expect(rotated.keyName).toBe('key-20261127-2');
    expect(rotated.config.resources[0]?.providers).toEqual([
      {
        type: 'secretbox',
        keys: [
          { name: 'key-20261127-2', secret: Buffer.alloc(32, 2).toString('base64') },
          { name: 'key-20261127', secret: Buffer.alloc(32, 1).toString('base64') },
        ],
      },
      { type: 'identity' },
    ]);
    const findings = auditEncryptionConfig(roundTrip(formatEncryptionConfig(rotated.config)));
    expect(findings.map((f) => f.ruleId)).toEqual(['PC-K8S-085']);
  });

  it('rotates to another provider keeping every old provider readable, and leaves opt-outs alone', () => {
    const old = parseEncryptionConfig(
      readFileSync(
        path.join(
          sharedData('lint-audit', 'k8s', 'encryption-config'),
          '08-wildcard-with-events-optout.yaml',
        ),
        'utf8',
      ),
    );
    const rotated = generateEncryptionConfig({ now: NOW, rotateFrom: old.config, provider: 'secretbox' });
    expect(rotated.config.resources[0]).toEqual(old.config.resources[0]);
    expect(rotated.config.resources[1]?.providers.map((p) => p.type)).toEqual([
      'secretbox',
      'kms',
      'identity',
    ]);
    roundTrip(formatEncryptionConfig(rotated.config));
  });

  it('adds a Secrets entry first when the old file does not cover them', () => {
    const old = parseEncryptionConfig(
      readFileSync(
        path.join(sharedData('lint-audit', 'k8s', 'encryption-config'), '07-secrets-not-covered.yaml'),
        'utf8',
      ),
    );
    const rotated = generateEncryptionConfig({ now: NOW, rotateFrom: old.config });
    expect(rotated.config.resources.map((e) => e.resources)).toEqual([['secrets'], ['configmaps']]);
    const findings = auditEncryptionConfig(roundTrip(formatEncryptionConfig(rotated.config)));
    expect(findings.filter((f) => f.severity === 'high')).toEqual([]);
  });

  it('keeps a second kms-v2 provider name unique', () => {
    const first = generateEncryptionConfig({ provider: 'kms-v2', now: NOW, kms: { endpoint: 'unix:///a' } });
    const second = generateEncryptionConfig({
      provider: 'kms-v2',
      now: NOW,
      kms: { endpoint: 'unix:///b' },
      rotateFrom: first.config,
    });
    expect(second.config.resources[0]?.providers.map((p) => (p.type === 'kms' ? p.name : p.type))).toEqual([
      'kms-20261127-2',
      'kms-20261127',
      'identity',
    ]);
    roundTrip(formatEncryptionConfig(second.config));
  });
});
