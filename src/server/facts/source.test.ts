import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decide, parseAdmissionReviewJson, planFacts } from '../../admission/index.js';
import type { AdmissionFacts, Decision } from '../../admission/index.js';
import { parseImageRef } from '../../imageref/index.js';
import { createStaticCredentialStore, RegistryClient } from '../../oci/index.js';
import { parsePolicy } from '../../policy/index.js';
import { resolveImageDigest, signImage } from '../../signing/index.js';
import { podAdmissionReview } from '../../testing/admission-webhook.js';
import { startProxy, type TestProxy } from '../../testing/http-proxy.js';
import { startRegistry } from '../../testing/registry.js';
import {
  policyYaml,
  signatureRule,
  startAdmissionFixture,
  type AdmissionFixture,
} from './testdata/admission-fixture.js';
import {
  createRegistryFactSource,
  FactSourceError,
  type RegistryFactSource,
  type RegistryFactSourceOptions,
} from './index.js';

// The fact source against a real docker-registry: images pushed with skopeo, signed with
// portcullis' signing library, scanned against Trivy's fixture database; decisions made by the
// pure decide() on what it gathered.

let fx: AdmissionFixture;
let client: RegistryClient;
const sources: RegistryFactSource[] = [];
const proxies: TestProxy[] = [];

beforeAll(async () => {
  fx = await startAdmissionFixture();
  client = new RegistryClient({ retries: 1, retryDelayMs: { base: 10, max: 100 } });
}, 600_000);

afterAll(async () => {
  // Proxies first: lookups held by a proxy that never answers end when it closes.
  await Promise.all(proxies.map((p) => p.stop()));
  await Promise.all(sources.map((s) => s.close()));
  client.close();
  await fx.close();
});

function newSource(extra: Partial<RegistryFactSourceOptions> = {}): RegistryFactSource {
  const s = createRegistryFactSource({ client, vulnDb: fx.db, ...extra });
  sources.push(s);
  return s;
}

async function admit(
  source: RegistryFactSource,
  rules: readonly string[],
  images: readonly string[],
  signal: AbortSignal = AbortSignal.timeout(60_000),
): Promise<{ facts: AdmissionFacts; decision: Decision }> {
  const policy = parsePolicy(policyYaml(rules));
  const request = parseAdmissionReviewJson(podAdmissionReview(images).body);
  const facts = await source.gather(planFacts(request, policy), signal);
  return { facts, decision: decide(request, policy, facts, new Date()) };
}

/** The text of an `{ error }` fact; a fact without one fails the match that follows. */
function errorText(fact: object | undefined): string {
  return fact !== undefined && 'error' in fact && typeof fact.error === 'string'
    ? fact.error
    : `not an error fact: ${JSON.stringify(fact)}`;
}

const criticalRule = (onError = 'deny'): string =>
  [
    '  - name: no-critical',
    '    kind: vulnerabilities',
    '    failOn: critical',
    `    onError: ${onError}`,
  ].join('\n');

describe('signature facts', () => {
  it('admits an image signed with the trusted key, pinned to the digest the tag names', async () => {
    const source = newSource();
    const { facts, decision } = await admit(
      source,
      [signatureRule('trusted', fx.trusted.publicPem)],
      [fx.images.signed],
    );
    const digest = await resolveImageDigest(client, parseImageRef(fx.images.signed));
    expect(facts.images?.[fx.images.signed]).toEqual({
      digest,
      signatures: { trusted: { satisfied: true, reasons: [expect.stringMatching(/^signed \(key /)] } },
    });
    expect(decision.allowed).toBe(true);
    expect(decision.verdicts.map((v) => `${v.rule} ${v.outcome}`)).toEqual(['trusted pass']);
  });

  it('denies an unsigned image, saying no signature was found', async () => {
    const { decision } = await admit(
      newSource(),
      [signatureRule('trusted', fx.trusted.publicPem)],
      [fx.images.unsigned],
    );
    expect(decision.allowed).toBe(false);
    expect(decision.message).toContain(
      `rule "trusted" (requireSignature): image "${fx.images.unsigned}" has no accepted signature`,
    );
    expect(decision.message).toMatch(/no signatures found for sha256:[0-9a-f]{64}/);
  });

  it('denies an image signed only with another key, saying its signature does not verify', async () => {
    const { facts, decision } = await admit(
      newSource(),
      [signatureRule('trusted', fx.trusted.publicPem)],
      [fx.images.otherKey],
    );
    const fact = facts.images?.[fx.images.otherKey]?.signatures?.['trusted'];
    expect(fact).toMatchObject({ satisfied: false });
    expect(decision.allowed).toBe(false);
    expect(decision.message).toContain(`image "${fx.images.otherKey}" has no accepted signature`);
    expect(decision.message).not.toContain('no signatures found');
    expect(decision.message).toMatch(
      /the signature does not verify with the given public key \(key [A-Za-z0-9+/]{12}…\)/,
    );
  });

  it('checks each rule on its own keys: one image, two rules, two answers', async () => {
    const { facts, decision } = await admit(
      newSource(),
      [signatureRule('ours', fx.trusted.publicPem), signatureRule('theirs', fx.other.publicPem)],
      [fx.images.otherKey],
    );
    expect(facts.images?.[fx.images.otherKey]?.signatures).toMatchObject({
      ours: { satisfied: false },
      theirs: { satisfied: true },
    });
    expect(decision.verdicts.map((v) => `${v.rule} ${v.outcome}`)).toEqual(['ours violation', 'theirs pass']);
  });

  it('a required attestation that is missing denies a signed image, naming the type', async () => {
    const { decision } = await admit(
      newSource(),
      [signatureRule('attested', fx.trusted.publicPem, ['attestations: [slsaprovenance]'])],
      [fx.images.signed],
    );
    expect(decision.allowed).toBe(false);
    expect(decision.message).toMatch(
      /no attestation of type https:\/\/slsa\.dev\/provenance\/\S+ verified with a trusted key/,
    );
  });

  it('a keyless identity without a trusted root is an error fact that says why, and onError decides', async () => {
    const keyless = (onError: string): string =>
      [
        '  - name: keyless',
        '    kind: requireSignature',
        `    onError: ${onError}`,
        '    keyless:',
        '      - issuer: https://token.actions.githubusercontent.com',
        '        subject: https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
      ].join('\n');
    const source = newSource();
    const denied = await admit(source, [keyless('deny')], [fx.images.signed]);
    expect(errorText(denied.facts.images?.[fx.images.signed]?.signatures?.['keyless'])).toContain(
      'no Sigstore trusted root was configured, and it cannot be fetched offline',
    );
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.message).toContain('could not verify the signature');
    const allowed = await admit(source, [keyless('allow')], [fx.images.signed]);
    expect(allowed.decision.allowed).toBe(true);
    expect(allowed.decision.warnings).toEqual([expect.stringContaining('(admitted: onError allow)')]);
  });
});

describe('rules with signers this server cannot check', () => {
  // A key it can check, and a keyless identity by pattern, which the verifier cannot match.
  const mixed = (): string =>
    [
      signatureRule('mixed', fx.trusted.publicPem),
      '    keyless:',
      '      - issuer: https://accounts.google.com',
      '        subjectRegExp: ^.*@acme\\.example$',
    ].join('\n');

  it('a signature by the key satisfies the rule', async () => {
    const { decision } = await admit(newSource(), [mixed()], [fx.images.signed]);
    expect(decision.allowed).toBe(true);
  });

  it('without one, the outcome is an error naming the unchecked signer, not a violation', async () => {
    const { facts, decision } = await admit(newSource(), [mixed()], [fx.images.unsigned]);
    const text = errorText(facts.images?.[fx.images.unsigned]?.signatures?.['mixed']);
    expect(text).toContain("no signature verified with the rule's keys (no signatures found for sha256:");
    expect(text).toContain('subjectRegExp ^.*@acme\\.example$): subject patterns are not supported');
    expect(decision.verdicts.map((v) => v.outcome)).toEqual(['error']);
  });
});

describe('scan facts', () => {
  it('denies alpine 3.9 for its critical musl CVE and admits alpine 3.10 (nothing critical)', async () => {
    const source = newSource();
    const { facts, decision } = await admit(source, [criticalRule()], [fx.images.critical]);
    expect(decision.allowed).toBe(false);
    expect(decision.message).toContain('CVE-2019-14697 (critical, musl');
    const scan = facts.images?.[fx.images.critical]?.scan;
    expect(scan !== undefined && 'findings' in scan ? scan.findings : []).toContainEqual({
      id: 'CVE-2019-14697',
      aliases: [],
      severity: 'critical',
      package: 'musl',
      fixedVersion: '1.1.20-r5',
    });
    const clean = await admit(source, [criticalRule()], [fx.images.noCritical]);
    expect(clean.decision.allowed).toBe(true);
    const findings = clean.facts.images?.[fx.images.noCritical]?.scan;
    expect(findings !== undefined && 'findings' in findings ? findings.findings.length : 0).toBeGreaterThan(
      0,
    );
  });

  it('a scan still running at the deadline is an error now, keeps going, and answers the retry from the cache', async () => {
    const ref = parseImageRef(fx.images.critical);
    const manifest = await client.getManifest(ref);
    const layer = (JSON.parse(manifest.bytes.toString('utf8')) as { layers: { digest: string }[] }).layers[0]
      ?.digest;
    expect(layer).toBeDefined();
    const deadline = new AbortController();
    const held: (() => void)[] = [];
    const proxy = await startProxy(fx.signing.registry.host, (req, _res, forward) => {
      if (layer !== undefined && req.url?.includes(layer) === true) {
        // The layer download waits until the deadline has passed.
        held.push(forward);
        deadline.abort();
      } else {
        forward();
      }
    });
    proxies.push(proxy);
    const image = `${proxy.host}/${ref.repository}:${ref.tag ?? ''}`;
    const source = newSource();
    const first = await admit(source, [criticalRule()], [image], deadline.signal);
    expect(errorText(first.facts.images?.[image]?.scan)).toMatch(
      /^the scan of .* is still running after \d+ ms; it goes on in the background/,
    );
    expect(first.decision.allowed).toBe(false);
    expect(first.decision.message).toContain('could not scan image');
    expect(source.stats().scan.running).toBe(1);
    for (const f of held) f();
    await vi.waitFor(() => {
      expect(source.stats().scan.running).toBe(0);
    });
    const retry = await admit(source, [criticalRule()], [image]);
    expect(retry.decision.message).toContain('CVE-2019-14697');
    expect(source.stats().scan).toMatchObject({ hits: 1, misses: 1, failures: 0 });
    expect(source.stats().deadlineExceeded).toBe(1);
  });

  it('without a vulnerability database the scan fact says so', async () => {
    const { facts } = await admit(newSource({ vulnDb: undefined }), [criticalRule()], [fx.images.signed]);
    expect(facts.images?.[fx.images.signed]?.scan).toEqual({
      error: 'no vulnerability database is configured for the admission server',
    });
  });
});

describe('caching', () => {
  const rules = (): string[] => [
    signatureRule('trusted', fx.trusted.publicPem),
    criticalRule(),
    '  - name: non-root\n    kind: requireNonRoot',
  ];

  it('a second gather for the same tag within the TTL makes no registry request; after the digest TTL only the tag is asked again', async () => {
    const proxy = await startProxy(fx.signing.registry.host);
    proxies.push(proxy);
    const image = await fx.signing.push('one', 'cache/app', 'v1', proxy.host);
    await signImage(fx.signing.client, image, fx.trusted.privateKey);
    const tag = `${image.registry}/${image.repository}:v1`;
    let clock = 1_000_000;
    const source = newSource({ now: () => clock });

    const before = proxy.requests.length;
    const cold = await admit(source, rules(), [tag]);
    const coldRequests = proxy.requests.length - before;
    expect(coldRequests).toBeGreaterThan(0);
    expect(cold.facts.images?.[tag]).toMatchObject({
      signatures: { trusted: { satisfied: true } },
      config: { user: '' },
      scan: { findings: [] },
    });
    expect(cold.decision.verdicts.map((v) => `${v.rule} ${v.outcome}`)).toEqual([
      'trusted pass',
      'no-critical pass',
      'non-root violation',
    ]);

    const warmStart = proxy.requests.length;
    const warm = await admit(source, rules(), [tag]);
    expect(proxy.requests.slice(warmStart)).toEqual([]);
    expect(warm.facts).toEqual(cold.facts);
    const stats = source.stats();
    expect(stats.digest).toMatchObject({ hits: 1, misses: 1 });
    expect(stats.config).toMatchObject({ hits: 1, misses: 1 });
    expect(stats.scan).toMatchObject({ hits: 1, misses: 1 });
    expect(stats.signature).toMatchObject({ hits: 1, misses: 1 });

    clock += 31_000; // past the 30 s digest TTL, within the others
    const later = proxy.requests.length;
    await admit(source, rules(), [tag]);
    expect(proxy.requests.slice(later).map((r) => `${r.method} ${r.url}`)).toEqual([
      `HEAD /v2/cache/app/manifests/v1`,
    ]);
  });

  it('concurrent gathers for the same image share one set of lookups', async () => {
    const proxy = await startProxy(fx.signing.registry.host);
    proxies.push(proxy);
    const tag = `${proxy.host}/${parseImageRef(fx.images.signed).repository}:v1`;
    const one = newSource();
    const start = proxy.requests.length;
    await admit(one, [signatureRule('trusted', fx.trusted.publicPem), criticalRule()], [tag]);
    const single = proxy.requests.length - start;

    const both = newSource();
    const mid = proxy.requests.length;
    const [a, b] = await Promise.all([
      admit(both, [signatureRule('trusted', fx.trusted.publicPem), criticalRule()], [tag]),
      admit(both, [signatureRule('trusted', fx.trusted.publicPem), criticalRule()], [tag]),
    ]);
    expect(proxy.requests.length - mid).toBe(single);
    expect(a.facts).toEqual(b.facts);
    expect(both.stats().digest.coalesced).toBe(1);
  });
});

describe('inputs and limits', () => {
  it('an already aborted signal gives error facts at once', async () => {
    const source = newSource();
    const { facts, decision } = await admit(
      source,
      [signatureRule('trusted', fx.trusted.publicPem)],
      [`${fx.signing.registry.host}/team/never-asked:v1`],
      AbortSignal.abort(),
    );
    expect(
      errorText(facts.images?.[`${fx.signing.registry.host}/team/never-asked:v1`]?.signatures?.['trusted']),
    ).toMatch(/did not answer within \d+ ms \(resolving the tag "v1" to a digest\)$/);
    expect(decision.allowed).toBe(false);
    expect(source.stats().deadlineExceeded).toBe(1);
  });

  it('refuses cache bounds that are not positive whole numbers', () => {
    expect(() => createRegistryFactSource({ client, cache: { digest: { ttlMs: 0 } } })).toThrow(
      FactSourceError,
    );
    expect(() => createRegistryFactSource({ client, maxConcurrentScans: 1.5 })).toThrow(
      /maxConcurrentScans must be a positive whole number/,
    );
  });

  it('never puts the registry password in a fact', async () => {
    const secured = await startRegistry({ auth: 'htpasswd' });
    const password = `not-${secured.password ?? ''}`;
    const withCreds = new RegistryClient({
      credentials: createStaticCredentialStore(secured.host, {
        kind: 'basic',
        username: secured.username ?? '',
        password,
      }),
      retries: 0,
    });
    try {
      const image = `${secured.host}/team/app:v1`;
      const { facts } = await admit(
        newSource({ client: withCreds }),
        [signatureRule('trusted', fx.trusted.publicPem)],
        [image],
      );
      const text = errorText(facts.images?.[image]?.signatures?.['trusted']);
      expect(text).toContain('resolving the tag "v1" to a digest');
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(`${secured.username ?? ''}:${password}`).toString('base64'));
    } finally {
      withCreds.close();
      await secured.stop();
    }
  });

  it('scans beyond maxConcurrentScans wait for a slot, then run and fill the cache', async () => {
    const first = parseImageRef(fx.images.critical);
    const manifest = await client.getManifest(first);
    const layer = (JSON.parse(manifest.bytes.toString('utf8')) as { layers: { digest: string }[] }).layers[0]
      ?.digest;
    const firstDeadline = new AbortController();
    const held: (() => void)[] = [];
    const proxy = await startProxy(fx.signing.registry.host, (req, _res, forward) => {
      if (layer !== undefined && req.url?.includes(layer) === true) {
        held.push(forward);
        firstDeadline.abort();
      } else {
        forward();
      }
    });
    proxies.push(proxy);
    const a = `${proxy.host}/base/alpine:3.9`;
    const b = `${proxy.host}/base/alpine:3.10`;
    const source = newSource({ maxConcurrentScans: 1 });
    await admit(source, [criticalRule()], [a], firstDeadline.signal);
    const secondDeadline = new AbortController();
    const second = admit(source, [criticalRule()], [b], secondDeadline.signal);
    await vi.waitFor(() => {
      expect(source.stats().scan.running).toBe(2);
    });
    secondDeadline.abort();
    expect(errorText((await second).facts.images?.[b]?.scan)).toContain('is still running');
    // b's scan has not opened its image: only its tag was asked.
    expect(
      proxy.requests
        .filter((r) => r.url.startsWith('/v2/base/alpine/') && !r.url.includes(layer ?? '-'))
        .map((r) => `${r.method} ${r.url}`),
    ).toEqual([
      'HEAD /v2/base/alpine/manifests/3.9',
      expect.stringMatching(/^GET \/v2\/base\/alpine\/manifests\/sha256:/) as unknown,
      expect.stringMatching(/^GET \/v2\/base\/alpine\/blobs\/sha256:/) as unknown,
      'HEAD /v2/base/alpine/manifests/3.10',
    ]);
    for (const f of held) f();
    await vi.waitFor(() => {
      expect(source.stats().scan.running).toBe(0);
    });
    const both = await admit(source, [criticalRule()], [a, b]);
    expect(both.decision.message).toContain('CVE-2019-14697');
    expect(source.stats().scan).toMatchObject({ hits: 2, misses: 2, failures: 0 });
  });
});

describe('registry unreachable', () => {
  it('a registry that does not answer: gather settles when the signal aborts, and onError decides', async () => {
    const proxy = await startProxy(fx.signing.registry.host, () => {
      // Never answers: the connection stays open until the proxy stops.
    });
    proxies.push(proxy);
    const image = `${proxy.host}/team/signed:v1`;
    const source = newSource();
    const denied = await admit(
      source,
      [signatureRule('trusted', fx.trusted.publicPem), criticalRule()],
      [image],
      AbortSignal.timeout(300),
    );
    const facts = denied.facts.images?.[image];
    expect(Object.keys(facts ?? {}).sort()).toEqual(['digestError', 'scan', 'signatures']);
    const unanswered = new RegExp(`^registry ${proxy.host} did not answer within \\d+ ms`);
    expect(facts?.digestError).toMatch(unanswered);
    expect(errorText(facts?.signatures?.['trusted'])).toMatch(unanswered);
    expect(errorText(facts?.scan)).toMatch(unanswered);
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.message).toContain(
      `could not verify the signature of image "${image}": registry ${proxy.host} did not answer`,
    );
    expect(denied.decision.message).toContain(
      `could not scan image "${image}": registry ${proxy.host} did not answer`,
    );

    const allowed = await admit(
      source,
      [signatureRule('trusted', fx.trusted.publicPem, ['onError: allow'])],
      [image],
      AbortSignal.timeout(300),
    );
    expect(allowed.decision.allowed).toBe(true);
    expect(allowed.decision.warnings).toEqual([
      expect.stringMatching(new RegExp(`did not answer within \\d+ ms.*\\(admitted: onError allow\\)`)),
    ]);
    expect(source.stats().lookupErrors.digest).toBe(2);
  });

  // Last: it stops the shared registry.
  it('a stopped registry: the facts say the connection was refused, deny names the registry, allow warns', async () => {
    await fx.stopRegistry();
    const source = newSource();
    const denied = await admit(
      source,
      [signatureRule('trusted', fx.trusted.publicPem), criticalRule()],
      [fx.images.signed],
    );
    const host = fx.signing.registry.host;
    expect(denied.decision.allowed).toBe(false);
    expect(denied.decision.message).toContain(`cannot reach registry ${host}`);
    expect(denied.decision.message).toContain(`ECONNREFUSED ${host}`);
    const allowed = await admit(
      source,
      [signatureRule('trusted', fx.trusted.publicPem, ['onError: allow']), criticalRule('allow')],
      [fx.images.signed],
    );
    expect(allowed.decision.allowed).toBe(true);
    expect(allowed.decision.warnings).toHaveLength(2);
    for (const w of allowed.decision.warnings) expect(w).toContain(`ECONNREFUSED ${host}`);
  });
});
