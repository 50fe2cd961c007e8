import { truncateForMessage } from '../../core/index.js';
import { KeyError } from './errors.js';

/** One PEM block: its type label (`PUBLIC KEY`, `ENCRYPTED SIGSTORE PRIVATE KEY`, …) and body. */
export type PemBlock = { readonly type: string; readonly der: Buffer };

/** Key files are small; anything larger is not a key file. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

const BEGIN = /-----BEGIN ([A-Z0-9][A-Z0-9 ]{0,62})-----/;

/**
 * The first PEM block in `text` (like Go's pem.Decode, text before it is skipped). RFC 7468
 * strict base64 body; headers (legacy OpenSSL `Proc-Type: 4,ENCRYPTED`) are refused.
 * @throws KeyError KEY_INVALID for input without a well-formed block, KEY_UNSUPPORTED for headers.
 */
export function parsePem(input: string | Uint8Array): PemBlock {
  if (input.length > MAX_KEY_FILE_BYTES) {
    throw new KeyError('KEY_INVALID', `not a key file: larger than ${MAX_KEY_FILE_BYTES} bytes`);
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const begin = BEGIN.exec(text);
  if (!begin) {
    throw new KeyError(
      'KEY_INVALID',
      `not a PEM key file: no "-----BEGIN …-----" line in "${truncateForMessage(text, 60)}"`,
    );
  }
  const type = begin[1] ?? '';
  const endMarker = `-----END ${type}-----`;
  const bodyStart = begin.index + begin[0].length;
  const end = text.indexOf(endMarker, bodyStart);
  if (end < 0) throw new KeyError('KEY_INVALID', `PEM block "${type}" has no "${endMarker}" line`);
  const body = text.slice(bodyStart, end);
  if (body.includes(':')) {
    throw new KeyError(
      'KEY_UNSUPPORTED',
      `PEM block "${type}" has headers (legacy OpenSSL encryption?); convert the key to PKCS#8 ("openssl pkcs8 -topk8")`,
    );
  }
  const b64 = body.replace(/[\r\n\t ]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64) || b64 === '') {
    throw new KeyError('KEY_INVALID', `PEM block "${type}" does not hold valid base64`);
  }
  return { type, der: Buffer.from(b64, 'base64') };
}

/** PEM text for `der` with 64-character lines, as Go's pem.EncodeToMemory writes it. */
export function formatPem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
