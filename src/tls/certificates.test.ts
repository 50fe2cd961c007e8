import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError, generateCertificateAuthority, issueServingCertificate } from './index.js';
import type { CertificateAndKey } from './index.js';

const SERVICE_NAME = 'svc.ns.svc';

describe('generateCertificateAuthority', () => {
  it('makes a self-signed ECDSA P-256 CA that node accepts as a CA', async () => {
    const ca = await generateCertificateAuthority({ commonName: 'portcullis-webhook-ca' });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=portcullis-webhook-ca');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(ca.keyPem).asymmetricKeyType).toBe('ec');
    const parsed = new x509.X509Certificate(ca.certPem);
    const basic = parsed.getExtension(x509.BasicConstraintsExtension);
    expect(basic).toMatchObject({ ca: true, pathLength: 0, critical: true });
    const usage = parsed.getExtension(x509.KeyUsagesExtension);
    expect(usage?.critical).toBe(true);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('honours validDays and now', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ca = await generateCertificateAuthority({ commonName: 'ca', validDays: 10, now });
    const cert = new X509Certificate(ca.certPem);
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 10 * 86_400_000);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(now.getTime());
  });

  it.each([
    ['an empty common name', { commonName: '' }],
    ['zero days', { commonName: 'ca', validDays: 0 }],
    ['fractional days', { commonName: 'ca', validDays: 1.5 }],
  ])('refuses %s', async (_name, options) => {
    await expect(generateCertificateAuthority(options)).rejects.toMatchObject({
      code: 'TLS_OPTIONS_INVALID',
    });
  });
});

describe('issueServingCertificate', () => {
  let ca: CertificateAndKey;
  beforeAll(async () => {
    ca = await generateCertificateAuthority({ commonName: 'test-ca' });
  });

  it('issues a server certificate the CA verifies, with the names as SAN', async () => {
    const serving = await issueServingCertificate(ca, {
      dnsNames: [SERVICE_NAME, 'svc.ns.svc.cluster.local'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(serving.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe(`CN=${SERVICE_NAME}`);
    expect(cert.issuer).toBe('CN=test-ca');
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(
      'DNS:svc.ns.svc, DNS:svc.ns.svc.cluster.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // node reports the EKU here: serverAuth
    const parsed = new x509.X509Certificate(serving.certPem);
    const usage = parsed.getExtension(x509.KeyUsagesExtension);
    expect(usage?.critical).toBe(true);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    const caSki = new x509.X509Certificate(ca.certPem).getExtension(
      x509.SubjectKeyIdentifierExtension,
    )?.keyId;
    expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(caSki);
    expect(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).not.toBe(caSki);
    expect(cert.checkHost(SERVICE_NAME)).toBe(SERVICE_NAME);
    expect(cert.checkHost('other.ns.svc')).toBeUndefined();
    expect(cert.checkPrivateKey(createPrivateKey(serving.keyPem))).toBe(true);
    // A positive 16-byte serial: 32 hex digits, top bit clear.
    expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(new Date(cert.validTo).getTime()).toBeLessThanOrEqual(new Date(caCert.validTo).getTime());
  });

  it('gives each certificate its own serial and key', async () => {
    const a = await issueServingCertificate(ca, { dnsNames: [SERVICE_NAME] });
    const b = await issueServingCertificate(ca, { dnsNames: [SERVICE_NAME] });
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
    expect(a.keyPem).not.toBe(b.keyPem);
  });

  it('never outlives its CA', async () => {
    const now = new Date();
    const shortCa = await generateCertificateAuthority({ commonName: 'short', validDays: 2, now });
    const serving = await issueServingCertificate(shortCa, { dnsNames: [SERVICE_NAME], validDays: 365, now });
    expect(new X509Certificate(serving.certPem).validTo).toBe(new X509Certificate(shortCa.certPem).validTo);
  });

  it.each([
    ['no DNS names', { dnsNames: [] }],
    ['a DNS name with a space', { dnsNames: ['svc ns'] }],
    ['a DNS label starting with a hyphen', { dnsNames: ['-svc.ns'] }],
    ['a malformed IP address', { dnsNames: [SERVICE_NAME], ipAddresses: ['300.1.1.1'] }],
    ['a negative validity', { dnsNames: [SERVICE_NAME], validDays: -1 }],
  ])('refuses %s', async (_name, options) => {
    await expect(issueServingCertificate(ca, options)).rejects.toMatchObject({ code: 'TLS_OPTIONS_INVALID' });
  });

  it('refuses a CA PEM that does not parse', async () => {
    const err: unknown = await issueServingCertificate(
      { certPem: 'not a certificate', keyPem: ca.keyPem },
      { dnsNames: [SERVICE_NAME] },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ code: 'TLS_CA_INVALID' });
  });

  it('refuses to sign with a certificate that is not a CA', async () => {
    const leaf = await issueServingCertificate(ca, { dnsNames: [SERVICE_NAME] });
    await expect(issueServingCertificate(leaf, { dnsNames: ['x.ns.svc'] })).rejects.toMatchObject({
      code: 'TLS_CA_INVALID',
      message: expect.stringContaining('is not a CA') as unknown,
    });
  });

  it("refuses a key that is not the CA's, without quoting the key", async () => {
    const other = await generateCertificateAuthority({ commonName: 'other' });
    const err: unknown = await issueServingCertificate(
      { certPem: ca.certPem, keyPem: other.keyPem },
      { dnsNames: [SERVICE_NAME] },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TLS_CA_INVALID' });
    expect(String(err)).not.toContain('PRIVATE KEY');
  });

  it('refuses an expired CA', async () => {
    const old = await generateCertificateAuthority({
      commonName: 'old',
      validDays: 1,
      now: new Date('2020-01-01Z'),
    });
    await expect(issueServingCertificate(old, { dnsNames: [SERVICE_NAME] })).rejects.toMatchObject({
      code: 'TLS_CA_INVALID',
    });
  });
});

describe('a TLS handshake with the issued certificate', () => {
  let ca: CertificateAndKey;
  let server: https.Server;
  let port: number;

  beforeAll(async () => {
    ca = await generateCertificateAuthority({ commonName: 'handshake-ca' });
    const serving = await issueServingCertificate(ca, { dnsNames: [SERVICE_NAME] });
    server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => {
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  function get(options: { ca: string; servername: string }): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/', agent: false, ...options }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve(body);
        });
      });
      req.on('error', reject);
    });
  }

  it('succeeds for a client that trusts only the CA and asks for the service name', async () => {
    await expect(get({ ca: ca.certPem, servername: SERVICE_NAME })).resolves.toBe('ok');
  });

  it('fails when the client asks for another name', async () => {
    await expect(get({ ca: ca.certPem, servername: 'other.ns.svc' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('fails for a client that trusts a different CA', async () => {
    const other = await generateCertificateAuthority({ commonName: 'other-ca' });
    await expect(get({ ca: other.certPem, servername: SERVICE_NAME })).rejects.toMatchObject({
      code: expect.stringMatching(
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
      ) as unknown,
    });
  });
});
