// PHP packages Composer installed, from `vendor/composer/installed.json`: a bare array in
// Composer 1, `{ "packages": [...], "dev-package-names": [...] }` in Composer 2
// (https://getcomposer.org/doc/07-runtime.md#installed-versions). Versions are kept exactly as
// written (`v1.2.3` keeps its `v`, `dev-main` stays a branch name), since that is what the
// project and its advisories name; `version_normalized` goes into metadata for comparison.
import { truncateForMessage } from '../../core/index.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult } from '../types.js';
import {
  Collector,
  compactMetadata,
  distinctLicenses,
  LangParseError,
  MAX_LOCKFILE_BYTES,
  parseJsonText,
  type FoundPackage,
  type ParsedFile,
} from './common.js';
import { composerInstalledSchema, composerPackageSchema, describeIssue } from './schema.js';

// Composer names are `vendor/project` of letters, digits and `_.-` (lower-case today; old
// packages kept capitals). One plain character class each side: no backtracking on hostile input.
const COMPOSER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The packages of a Composer installed.json, with `dev: "true"` for Composer 2's dev packages.
 *
 * @throws LangParseError when the text is not JSON or not an installed.json.
 */
export function parseComposerInstalled(text: string): ParsedFile {
  const json = parseJsonText(text);
  if (!json.ok) throw new LangParseError(json.reason);
  const outer = composerInstalledSchema.safeParse(json.value);
  if (!outer.success)
    throw new LangParseError(`not a Composer installed.json: ${describeIssue(outer.error)}`);
  const list = Array.isArray(outer.data) ? outer.data : outer.data.packages;
  const dev = new Set(Array.isArray(outer.data) ? [] : (outer.data['dev-package-names'] ?? []));
  const packages: FoundPackage[] = [];
  const problems: string[] = [];
  list.forEach((raw, i) => {
    const entry = composerPackageSchema.safeParse(raw);
    if (!entry.success) {
      problems.push(`packages[${i}]: ${describeIssue(entry.error)}`);
      return;
    }
    const { name: full, version } = entry.data;
    if (full.length > 256 || !COMPOSER_NAME.test(full)) {
      problems.push(`packages[${i}]: invalid package name "${truncateForMessage(full)}"`);
      return;
    }
    if (version === '' || version.length > 128 || /\s/.test(version)) {
      problems.push(`packages[${i}]: invalid version for ${full}`);
      return;
    }
    const slash = full.indexOf('/');
    packages.push({
      namespace: full.slice(0, slash),
      name: full.slice(slash + 1),
      version,
      licenses: distinctLicenses(entry.data.license ?? []),
      metadata: compactMetadata({
        dev: dev.has(full) ? 'true' : undefined,
        versionNormalized: entry.data.version_normalized,
        packageType: entry.data.type,
      }),
    });
  });
  return { packages, problems };
}

function analyzeComposer(ctx: AnalyzerContext): AnalyzerResult {
  const c = new Collector('composer', ctx);
  c.parseEach(isComposerInstalled, MAX_LOCKFILE_BYTES, parseComposerInstalled, 'composer');
  return c.result();
}

function isComposerInstalled(path: string): boolean {
  return path === 'vendor/composer/installed.json' || path.endsWith('/vendor/composer/installed.json');
}

/** PHP packages installed by Composer (vendor/composer/installed.json, Composer 1 and 2). */
export const composerAnalyzer: Analyzer = {
  id: 'composer',
  wants: isComposerInstalled,
  analyze: analyzeComposer,
};
