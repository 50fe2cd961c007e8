import { describe, expect, it } from 'vitest';
import { GateError } from './errors.js';
import { parseOpenVex } from './vex.js';

const doc = (statements: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://vex.example/public/vex-1',
    author: 'Example Security',
    timestamp: '2024-03-01T00:00:00Z',
    version: 1,
    statements,
    ...extra,
  });

describe('parseOpenVex', () => {
  it('reads statements with products, subcomponents, aliases and justification', () => {
    const text = doc([
      {
        vulnerability: {
          '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001',
          name: 'CVE-2024-0001',
          aliases: ['DSA-5001-1'],
        },
        products: [
          {
            '@id': 'pkg:oci/app@sha256%3Aabc',
            subcomponents: [
              { '@id': 'pkg:deb/debian/libssl3' },
              { identifiers: { purl: 'pkg:deb/debian/libcrypto3' } },
            ],
          },
        ],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        impact_statement: 'the TLS server is not used',
        timestamp: '2024-03-02T00:00:00Z',
      },
      {
        vulnerability: { name: 'CVE-2024-0002' },
        products: [{ '@id': 'pkg:npm/lodash' }],
        status: 'affected',
      },
    ]);
    expect(parseOpenVex(text)).toEqual([
      {
        vulnerability: ['CVE-2024-0001', 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001', 'DSA-5001-1'],
        products: [
          {
            ids: ['pkg:oci/app@sha256%3Aabc'],
            subcomponents: [['pkg:deb/debian/libssl3'], ['pkg:deb/debian/libcrypto3']],
          },
        ],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        impactStatement: 'the TLS server is not used',
        timestamp: '2024-03-02T00:00:00Z',
        document: 'https://vex.example/public/vex-1',
      },
      {
        vulnerability: ['CVE-2024-0002'],
        products: [{ ids: ['pkg:npm/lodash'], subcomponents: [] }],
        status: 'affected',
        timestamp: '2024-03-01T00:00:00Z',
        document: 'https://vex.example/public/vex-1',
      },
    ]);
  });

  it('names a product by its hashes as digests', () => {
    const [s] = parseOpenVex(
      doc([
        {
          vulnerability: { name: 'CVE-1' },
          products: [{ hashes: { 'sha-256': 'ABC123', 'blake2b-256': 'ff' } }],
          status: 'fixed',
        },
      ]),
    );
    expect(s?.products).toEqual([{ ids: ['sha256:abc123'], subcomponents: [] }]);
  });

  it.each(['fixed', 'affected', 'under_investigation'])(
    'accepts status %s without justification',
    (status) => {
      expect(parseOpenVex(doc([{ vulnerability: { name: 'CVE-1' }, products: [], status }]))[0]?.status).toBe(
        status,
      );
    },
  );

  const malformed: { name: string; text: string; message: RegExp }[] = [
    { name: 'not JSON', text: '{"statements": [', message: /not JSON/ },
    {
      name: 'another context',
      text: doc([], { '@context': 'https://openvex.dev/ns/v0.1.0' }),
      message: /@context/,
    },
    {
      name: 'no statements',
      text: JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0' }),
      message: /statements/,
    },
    {
      name: 'an unknown status',
      text: doc([{ vulnerability: { name: 'CVE-1' }, status: 'resolved' }]),
      message: /statements\.0\.status/,
    },
    {
      name: 'not_affected without justification',
      text: doc([{ vulnerability: { name: 'CVE-1' }, status: 'not_affected' }]),
      message: /justification or an impact_statement/,
    },
    {
      name: 'an unknown justification',
      text: doc([{ vulnerability: { name: 'CVE-1' }, status: 'not_affected', justification: 'trust_me' }]),
      message: /justification/,
    },
    {
      name: 'a vulnerability without name',
      text: doc([{ vulnerability: {}, status: 'fixed' }]),
      message: /vulnerability\.name/,
    },
    { name: 'an array', text: '[]', message: /not an OpenVEX/ },
  ];
  it.each(malformed)('rejects $name', ({ text, message }) => {
    let caught: unknown;
    try {
      parseOpenVex(text, 'vex.json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GateError);
    expect((caught as GateError).code).toBe('VEX_INVALID');
    expect((caught as GateError).message).toMatch(/^vex\.json: /);
    expect((caught as GateError).message).toMatch(message);
  });
});
