import { readFileSync } from 'node:fs';

/** Name and version of this program, as recorded in reports and SBOMs. */
export function toolInfo(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return { name: 'portcullis', version: pkg.version ?? 'unknown' };
}
