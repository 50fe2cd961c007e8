import {
  X509Certificate as NodeX509Certificate,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { isIP } from 'node:net';
import type { KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { errorMessage, truncateForMessage } from '../core/index.js';
import { TlsError } from './errors.js';

// @peculiar/x509 needs a WebCrypto implementation; Node's is complete for ECDSA P-256.
x509.cryptoProvider.set(webcrypto);

/** A PEM certificate and its PKCS#8 PEM private key. */
export type CertificateAndKey = {
  readonly certPem: string;
  readonly keyPem: string;
};

export type CertificateAuthorityOptions = {
  readonly commonName: string;
  /** Days the CA is valid for; default 3650. */
  readonly validDays?: number;
  /** The issuing time (tests); default the current time. */
  readonly now?: Date;
};

export type ServingCertificateOptions = {
  /** DNS subject alternative names, e.g. `portcullis.portcullis.svc`; at least one. */
  readonly dnsNames: readonly string[];
  /** IP subject alternative names (IPv4 or IPv6). */
  readonly ipAddresses?: readonly string[];
  /** Subject CN; default the first DNS name (clients check the SAN, not the CN). */
  readonly commonName?: string;
  /** Days the certificate is valid for; default 365, and never past the CA's own expiry. */
  readonly validDays?: number;
  readonly now?: Date;
};

const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past so a client whose clock lags still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;
const MAX_VALID_DAYS = 100 * 365;
const MAX_NAME_LENGTH = 253;
// RFC 1123 labels; a leading `*.` wildcard is allowed (RFC 6125 §6.4.3).
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/**
 * Creates a self-signed certificate authority (ECDSA P-256, SHA-256) for signing the webhook's
 * serving certificates: basicConstraints CA with path length 0 and keyUsage keyCertSign and
 * cRLSign, both critical.
 *
 * @throws TlsError TLS_OPTIONS_INVALID when the common name is empty or validDays is not a
 *   positive whole number.
 */
export async function generateCertificateAuthority(
  options: CertificateAuthorityOptions,
): Promise<CertificateAndKey> {
  const commonName = checkCommonName(options.commonName);
  const validDays = checkValidDays(options.validDays ?? 3650);
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([{ CN: [commonName] }]),
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * Issues a TLS server certificate signed by `ca`: keyUsage digitalSignature (critical),
 * extendedKeyUsage serverAuth, the given DNS and IP names as SAN, authority and subject key
 * identifiers, and a random positive 16-byte serial. The key is a fresh ECDSA P-256 key.
 *
 * @throws TlsError TLS_OPTIONS_INVALID when there is no DNS name, a name or IP is malformed,
 *   or validDays is not a positive whole number.
 * @throws TlsError TLS_CA_INVALID when the CA certificate or key does not parse, the
 *   certificate is not a CA, it has expired at `now`, or the key is not the certificate's.
 */
export async function issueServingCertificate(
  ca: CertificateAndKey,
  options: ServingCertificateOptions,
): Promise<CertificateAndKey> {
  if (options.dnsNames.length === 0) {
    throw new TlsError('TLS_OPTIONS_INVALID', 'a serving certificate needs at least one DNS name');
  }
  const dnsNames = options.dnsNames.map(checkDnsName);
  const ipAddresses = (options.ipAddresses ?? []).map(checkIpAddress);
  const commonName = checkCommonName(options.commonName ?? dnsNames[0] ?? '');
  const validDays = checkValidDays(options.validDays ?? 365);
  const now = options.now ?? new Date();
  const issuer = await loadCertificateAuthority(ca, now);

  const keys = await generateKeyPair();
  const notAfter = Math.min(now.getTime() + validDays * DAY_MS, issuer.cert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([{ CN: [commonName] }]),
    issuer: issuer.cert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

type LoadedAuthority = { readonly cert: x509.X509Certificate; readonly signingKey: webcrypto.CryptoKey };

async function loadCertificateAuthority(ca: CertificateAndKey, now: Date): Promise<LoadedAuthority> {
  let cert: x509.X509Certificate;
  let nodeCert: NodeX509Certificate;
  try {
    nodeCert = new NodeX509Certificate(ca.certPem);
    cert = new x509.X509Certificate(ca.certPem);
  } catch (err) {
    throw new TlsError(
      'TLS_CA_INVALID',
      `the CA certificate is not a PEM X.509 certificate: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  if (!nodeCert.ca) {
    throw new TlsError('TLS_CA_INVALID', `certificate ${truncateForMessage(nodeCert.subject)} is not a CA`);
  }
  if (cert.notAfter.getTime() <= now.getTime()) {
    throw new TlsError('TLS_CA_INVALID', `the CA certificate expired at ${cert.notAfter.toISOString()}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(ca.keyPem);
  } catch (err) {
    // The key text never goes into the message: it is a secret.
    throw new TlsError('TLS_CA_INVALID', 'the CA private key is not a PEM private key', { cause: err });
  }
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new TlsError('TLS_CA_INVALID', 'the CA private key does not belong to the CA certificate');
  }
  let signingKey: webcrypto.CryptoKey;
  try {
    const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
    signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, EC_ALGORITHM, false, ['sign']);
  } catch (err) {
    throw new TlsError('TLS_CA_INVALID', 'the CA private key must be an ECDSA P-256 key', { cause: err });
  }
  return { cert, signingKey };
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  const pem = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  });
  return typeof pem === 'string' ? pem : pem.toString('utf8');
}

/** 16 random bytes with the top bit clear (a positive INTEGER) and the next set (no DER padding). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function checkCommonName(name: string): string {
  if (name.length === 0 || name.length > 64) {
    throw new TlsError(
      'TLS_OPTIONS_INVALID',
      `common name "${truncateForMessage(name)}" must be 1 to 64 characters`,
    );
  }
  return name;
}

function checkDnsName(name: string): string {
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.');
  if (name.length > MAX_NAME_LENGTH || !labels.every((l) => DNS_LABEL.test(l))) {
    throw new TlsError('TLS_OPTIONS_INVALID', `"${truncateForMessage(name)}" is not a DNS name`);
  }
  return name.toLowerCase();
}

function checkIpAddress(ip: string): string {
  if (isIP(ip) === 0) {
    throw new TlsError('TLS_OPTIONS_INVALID', `"${truncateForMessage(ip)}" is not an IPv4 or IPv6 address`);
  }
  return ip;
}

function checkValidDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALID_DAYS) {
    throw new TlsError(
      'TLS_OPTIONS_INVALID',
      `validDays ${days} must be a whole number from 1 to ${MAX_VALID_DAYS}`,
    );
  }
  return days;
}
