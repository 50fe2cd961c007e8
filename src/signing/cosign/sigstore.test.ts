import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../core/index.js';
import { sharedData } from '../../testing/fixtures.js';
import { checkStatement } from './bundle.js';
import { parseVerificationKey } from './crypto.js';
import { CosignError } from './errors.js';
import {
  parseTrustedRoot,
  verifyImageBundle,
  verifySigstoreBundle,
  type KeylessIdentity,
} from './sigstore.js';

const pgiRoot = parseTrustedRoot(readFileSync(sharedData('signing', 'cosign-trusted_root_pgi.json')));
const cosignBundle = JSON.parse(
  readFileSync(sharedData('signing', 'cosign-oci-attestation.sigstore.json'), 'utf8'),
) as unknown;
const IMAGE = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const CODY: KeylessIdentity = {
  subjectAlternativeName: 'cody@soyland.com',
  issuer: 'https://github.com/login/oauth',
};

describe('keyless bundles verified offline with a trusted root', () => {
  it('verifies cosign’s real OCI attestation bundle for its image and identity', () => {
    const r = verifyImageBundle(
      cosignBundle,
      { trustedRoot: pgiRoot, identity: CODY },
      { imageDigest: IMAGE, anyPredicateType: true },
    );
    expect(r.ok).toBe(true);
    expect(r.ok && r.identity).toEqual(CODY);
    expect(r.ok && r.statement.subject[0]?.name).toBe('127.0.0.1:60943/repo');
  });

  it.each([
    [
      'another identity',
      { ...CODY, subjectAlternativeName: 'mallory@example.com' },
      IMAGE,
      'identity-mismatch',
    ],
    ['another issuer', { ...CODY, issuer: 'https://accounts.google.com' }, IMAGE, 'identity-mismatch'],
    ['another image', CODY, `sha256:${'1'.repeat(64)}`, 'digest-mismatch'],
  ] as const)('rejects %s', (_name, identity, imageDigest, code) => {
    const r = verifyImageBundle(
      cosignBundle,
      { trustedRoot: pgiRoot, identity },
      { imageDigest, anyPredicateType: true },
    );
    expect(!r.ok && r.failure.code).toBe(code);
  });

  it('needs an identity for a keyless bundle', () => {
    const r = verifySigstoreBundle(cosignBundle, { trustedRoot: pgiRoot });
    expect(!r.ok && r.failure.code).toBe('bundle-unsupported');
  });

  it('refuses a trusted root that is not one', () => {
    expect(() => parseTrustedRoot(Buffer.from('{'))).toThrow(/cannot read the trusted root/);
  });
});

// sigstore-conformance bundle-verify cases (test/assets/bundle-verify/README.md): a directory
// ending in _fail must be rejected, every other one must verify; defaults for the artifact,
// identity, issuer and trusted root as the README says (the public-good root is the one in the data).
const CONFORMANCE = sharedData('sigstore', 'conformance', 'bundle-verify');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/** Cases we do not run, each with why (none may be a case we simply get wrong). */
const OUT_OF_SCOPE: Readonly<Record<string, string>> = {
  'managed-key-happy-path':
    'its RFC 3161 timestamp is from the production TSA, which the public-good trusted root in the data (cosign testdata) does not list; the case needs the current production root',
  'rekor2-dsse-happy-path':
    'uses the hashedrekord-over-DSSE entry encoding (rekor-v2-spec §6.1.4), which @sigstore/verify 3.1.x, the last line that runs on Node 20, does not implement',
};

function runCase(dir: string): { ok: boolean; why: string } {
  const file = (name: string): string | undefined =>
    existsSync(path.join(dir, name)) ? path.join(dir, name) : undefined;
  const text = (name: string): string | undefined => {
    const f = file(name);
    return f !== undefined ? readFileSync(f, 'utf8').trim() : undefined;
  };
  let bundleJson: unknown;
  try {
    bundleJson = JSON.parse(readFileSync(path.join(dir, 'bundle.sigstore.json'), 'utf8'));
  } catch {
    return { ok: false, why: 'bundle is not JSON' };
  }
  const rootFile = file('trusted_root.json');
  const artifact = readFileSync(file('artifact') ?? path.join(CONFORMANCE, 'a.txt'));
  const keyPem = text('key.pub');
  let trustedRoot;
  let key;
  try {
    trustedRoot = rootFile !== undefined ? parseTrustedRoot(readFileSync(rootFile)) : pgiRoot;
    key = keyPem !== undefined ? parseVerificationKey(keyPem) : undefined;
  } catch (err) {
    if (err instanceof CosignError) return { ok: false, why: `${err.code}: ${err.message}` };
    throw err;
  }
  const r = verifySigstoreBundle(bundleJson, {
    trustedRoot,
    artifact,
    ...(key !== undefined
      ? { key }
      : {
          identity: {
            subjectAlternativeName: text('identity') ?? DEFAULT_IDENTITY,
            issuer: text('issuer') ?? DEFAULT_ISSUER,
          },
        }),
  });
  if (!r.ok) return { ok: false, why: `${r.failure.code}: ${r.failure.message}` };
  // For DSSE the artifact is the statement's subject (README: "represents the subject").
  if (r.statementBytes !== undefined) {
    const c = checkStatement(r.statementBytes, { imageDigest: digestOf(artifact), anyPredicateType: true });
    if (!c.ok) return { ok: false, why: `${c.failure.code}: ${c.failure.message}` };
  }
  return { ok: true, why: '' };
}

describe('sigstore-conformance bundle-verify cases', () => {
  const cases = readdirSync(CONFORMANCE, { withFileTypes: true })
    .filter((d) => d.isDirectory() && OUT_OF_SCOPE[d.name] === undefined)
    .map((d) => d.name)
    .sort();

  it('has the cases on disk, and each case left out is still there', () => {
    expect(cases.length).toBeGreaterThan(50);
    for (const name of Object.keys(OUT_OF_SCOPE)) expect(existsSync(path.join(CONFORMANCE, name))).toBe(true);
  });

  it.each(cases)('%s', (name) => {
    const r = runCase(path.join(CONFORMANCE, name));
    expect({ name, ok: r.ok, why: r.ok ? '' : r.why }).toMatchObject({ name, ok: !name.endsWith('_fail') });
  });
});
