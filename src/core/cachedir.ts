import os from 'node:os';
import path from 'node:path';

/**
 * The user's cache directory for Portcullis: $PORTCULLIS_CACHE_DIR, else $XDG_CACHE_HOME/portcullis,
 * else ~/.cache/portcullis. Everything Portcullis writes while reading images goes below it.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['PORTCULLIS_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg !== '' && path.isAbsolute(xdg)) return path.join(xdg, 'portcullis');
  return path.join(os.homedir(), '.cache', 'portcullis');
}
