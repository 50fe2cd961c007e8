import { readFile, stat } from 'node:fs/promises';
import { errorMessage } from '../core/index.js';
import { CosignError, parseTrustedRoot, type SigstoreTrustedRoot } from '../signing/index.js';

/** A trusted root is a few dozen KiB; anything near this is not one. */
const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

/**
 * Reads a Sigstore trusted root JSON file (`--trusted-root`), size-capped.
 * @throws CosignError COSIGN_TRUSTED_ROOT_INVALID when it cannot be read or parsed.
 */
export async function readTrustedRoot(file: string): Promise<SigstoreTrustedRoot> {
  let bytes: Buffer;
  try {
    const s = await stat(file);
    if (s.size > MAX_TRUSTED_ROOT_BYTES) {
      throw new Error(`${s.size} bytes, at most ${MAX_TRUSTED_ROOT_BYTES} accepted`);
    }
    bytes = await readFile(file);
  } catch (err) {
    throw new CosignError('COSIGN_TRUSTED_ROOT_INVALID', `cannot read ${file}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return parseTrustedRoot(bytes);
}
