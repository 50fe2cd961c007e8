import { CoreError, truncateForMessage } from './errors.js';

/**
 * Normalizes a path found inside an image (a tar entry name, a symlink target resolved against
 * its directory) to a clean relative form without leading "/" or "./": "a/b/c". The root is "".
 * `..` that would climb above the root is clamped at the root, as a container runtime does when
 * it resolves paths inside a rootfs (it never escapes), unless `strict` is set, in which case it
 * is an error: tar entry names that try to climb out are hostile and are refused, not clamped.
 *
 * @throws CoreError PATH_UNSAFE for NUL bytes, or `..` escapes in strict mode.
 */
export function normalizeImagePath(input: string, options?: { strict?: boolean }): string {
  if (input.includes('\0')) {
    throw new CoreError('PATH_UNSAFE', `path contains a NUL byte: "${truncateForMessage(input)}"`);
  }
  const out: string[] = [];
  for (const seg of input.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) {
        if (options?.strict === true) {
          throw new CoreError('PATH_UNSAFE', `path escapes the image root: "${truncateForMessage(input)}"`);
        }
        continue;
      }
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.join('/');
}

/** Parent directory of a normalized image path ("" for top-level entries and the root). */
export function imagePathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Last component of a normalized image path. */
export function imagePathBase(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Joins a normalized directory and a relative path, then normalizes (clamping at the root). */
export function joinImagePath(dir: string, rel: string): string {
  return normalizeImagePath(rel.startsWith('/') ? rel : `${dir}/${rel}`);
}
