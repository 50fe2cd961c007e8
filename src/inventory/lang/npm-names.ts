// npm package names and license fields, shared by the package.json, package-lock and yarn.lock
// readers. Names follow npm's rules (https://docs.npmjs.com/cli/v10/configuring-npm/package-json#name):
// at most 214 characters, no spaces, a scope `@scope/` or no slash at all.
import type { z } from 'zod';
import { distinctLicenses, type FoundPackage } from './common.js';
import type { npmLicenseSchema } from './schema.js';

const MAX_NAME_LENGTH = 214;

/** True for a name npm could have published or installed (lenient on case, which old packages use). */
export function isPlausibleNpmName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  if (hasSpaceOrControl(name)) return false;
  const slash = name.indexOf('/');
  if (name.startsWith('@')) {
    return slash > 1 && slash < name.length - 1 && name.indexOf('/', slash + 1) < 0;
  }
  return slash < 0 && !name.startsWith('.');
}

function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return /\s/.test(s);
}

/** `@scope/name` → namespace `@scope`, name `name`; unscoped names have no namespace. */
export function splitNpmName(full: string): { namespace?: string; name: string } {
  if (!full.startsWith('@')) return { name: full };
  const slash = full.indexOf('/');
  return { namespace: full.slice(0, slash), name: full.slice(slash + 1) };
}

/** License strings from npm's `license` or legacy `licenses` field (string, `{type}`, or an array of those). */
export function npmLicenses(...fields: z.infer<typeof npmLicenseSchema>[]): string[] {
  const out: (string | undefined)[] = [];
  for (const field of fields) {
    if (field === undefined) continue;
    for (const item of Array.isArray(field) ? field : [field]) {
      out.push(typeof item === 'string' ? item : item.type);
    }
  }
  return distinctLicenses(out);
}

/** A FoundPackage for an npm name, split into scope and name. */
export function npmFound(
  fullName: string,
  version: string,
  licenses: readonly string[],
  metadata: Readonly<Record<string, string>>,
): FoundPackage {
  return { ...splitNpmName(fullName), version, licenses, metadata };
}
