// zod schemas for the JSON files the language analyzers read from untrusted images. Only
// the fields we use are declared; fields whose shape varies in the wild (licenses) fall back
// to undefined instead of rejecting an otherwise readable package.
import { z } from 'zod';

/** A field that is a string when it is one, and undefined for any other shape. */
const looseString = z.string().optional().catch(undefined);
const looseBoolean = z.boolean().optional().catch(undefined);

/** `{ "type": "MIT", "url": … }`, the object form of npm's legacy license fields. */
const licenseObject = z.object({ type: z.string() });

/** npm `license`: an SPDX string, the deprecated `{type}` object, or (rarely) an array of either. */
export const npmLicenseSchema = z
  .union([z.string(), licenseObject, z.array(z.union([z.string(), licenseObject]))])
  .optional()
  .catch(undefined);

/** The fields of an installed package's package.json that the inventory uses. */
export const packageJsonSchema = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  license: npmLicenseSchema,
  licenses: npmLicenseSchema,
  private: looseBoolean,
  dependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  devDependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  optionalDependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  peerDependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
});
export type PackageJson = z.infer<typeof packageJsonSchema>;

/** One entry of package-lock.json v2/v3 `packages` (also the hidden node_modules/.package-lock.json). */
export const lockPackageEntrySchema = z.object({
  name: looseString,
  version: z.string().optional(),
  resolved: looseString,
  integrity: looseString,
  license: npmLicenseSchema,
  link: looseBoolean,
  dev: looseBoolean,
  optional: looseBoolean,
  devOptional: looseBoolean,
  inBundle: looseBoolean,
});
export type LockPackageEntry = z.infer<typeof lockPackageEntrySchema>;

/** One node of package-lock.json v1's nested `dependencies` tree. */
export const lockV1EntrySchema = z.object({
  version: z.string(),
  resolved: looseString,
  integrity: looseString,
  dev: looseBoolean,
  optional: looseBoolean,
  bundled: looseBoolean,
  dependencies: z.record(z.string(), z.unknown()).optional(),
});
export type LockV1Entry = z.infer<typeof lockV1EntrySchema>;

/** The outer shape of package-lock.json / npm-shrinkwrap.json (v1, v2, v3). */
export const packageLockSchema = z.object({
  lockfileVersion: z.number().int().optional(),
  packages: z.record(z.string(), z.unknown()).optional(),
  dependencies: z.record(z.string(), z.unknown()).optional(),
});

/** A package in Composer's vendor/composer/installed.json. */
export const composerPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  version_normalized: looseString,
  license: z
    .union([z.string().transform((s) => [s]), z.array(z.string())])
    .optional()
    .catch(undefined),
  type: looseString,
});

/** installed.json: a bare array (Composer 1) or `{ packages, dev, dev-package-names }` (Composer 2). */
export const composerInstalledSchema = z.union([
  z.array(z.unknown()),
  z.object({
    packages: z.array(z.unknown()),
    'dev-package-names': z.array(z.string()).optional().catch(undefined),
  }),
]);

/** A .NET `*.deps.json` file: the `libraries` map keyed by `Name/Version`. */
export const depsJsonSchema = z.object({ libraries: z.record(z.string(), z.unknown()) });

/** One `libraries` entry of a deps.json file. */
export const depsLibrarySchema = z.object({ type: z.string(), sha512: looseString, path: looseString });

/** The first problem zod found, as `field: message` (enough to say what was expected where). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const at = issue.path.map(String).join('.');
  return at === '' ? issue.message : `${at}: ${issue.message}`;
}
