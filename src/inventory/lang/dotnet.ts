// .NET packages from `*.deps.json`, the dependency manifest `dotnet publish` writes beside an
// application (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md).
// Its `libraries` map is keyed `Name/Version`; entries of type `package` came from NuGet and
// ship in the image. `project` entries are the application's own assemblies and `reference`
// entries framework references, so neither is reported as a NuGet package.
import { truncateForMessage } from '../../core/index.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult } from '../types.js';
import {
  Collector,
  compactMetadata,
  LangParseError,
  MAX_LOCKFILE_BYTES,
  parseJsonText,
  type FoundPackage,
  type ParsedFile,
} from './common.js';
import { depsJsonSchema, depsLibrarySchema, describeIssue } from './schema.js';

// NuGet package ids: letters, digits, `.`, `_`, `-` (at most 100 characters on nuget.org).
const NUGET_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,255}$/;
const NUGET_VERSION = /^[0-9A-Za-z.+-]{1,128}$/;

/**
 * The NuGet packages a deps.json lists (libraries of type `package`), with `sha512` and the
 * package `path` as metadata.
 *
 * @throws LangParseError when the text is not JSON or has no `libraries` map.
 */
export function parseDepsJson(text: string): ParsedFile {
  const json = parseJsonText(text);
  if (!json.ok) throw new LangParseError(json.reason);
  const outer = depsJsonSchema.safeParse(json.value);
  if (!outer.success) throw new LangParseError(`not a deps.json: ${describeIssue(outer.error)}`);
  const packages: FoundPackage[] = [];
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(outer.data.libraries)) {
    const lib = depsLibrarySchema.safeParse(raw);
    if (!lib.success) {
      problems.push(`"${truncateForMessage(key)}": ${describeIssue(lib.error)}`);
      continue;
    }
    if (lib.data.type.toLowerCase() !== 'package') continue;
    const slash = key.indexOf('/');
    const name = key.slice(0, slash);
    const version = key.slice(slash + 1);
    if (slash <= 0 || !NUGET_ID.test(name) || !NUGET_VERSION.test(version)) {
      problems.push(`"${truncateForMessage(key)}" is not "Name/Version"`);
      continue;
    }
    packages.push({
      name,
      version,
      licenses: [],
      metadata: compactMetadata({ sha512: lib.data.sha512, path: lib.data.path }),
    });
  }
  return { packages, problems };
}

function analyzeDotnet(ctx: AnalyzerContext): AnalyzerResult {
  const c = new Collector('dotnet', ctx);
  c.parseEach((p) => p.endsWith('.deps.json'), MAX_LOCKFILE_BYTES, parseDepsJson, 'nuget');
  return c.result();
}

/** NuGet packages of published .NET applications, from their *.deps.json files. */
export const dotnetAnalyzer: Analyzer = {
  id: 'dotnet',
  wants: (path) => path.endsWith('.deps.json'),
  analyze: analyzeDotnet,
};
