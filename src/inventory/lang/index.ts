// The language-package analyzers: one module per ecosystem, each an Analyzer the inventory
// runner calls with the files it asked for. The parsers are exported too, for tests and for
// callers that hold a single file rather than an image.
import type { Analyzer } from '../types.js';
import { cargoAnalyzer } from './cargo.js';
import { composerAnalyzer } from './composer.js';
import { dotnetAnalyzer } from './dotnet.js';
import { gemAnalyzer } from './gem.js';
import { npmAnalyzer } from './npm.js';
import { pythonAnalyzer } from './python.js';

export { cargoAnalyzer, parseCargoLock } from './cargo.js';
export { composerAnalyzer, parseComposerInstalled } from './composer.js';
export { dotnetAnalyzer, parseDepsJson } from './dotnet.js';
export { gemAnalyzer, gemFromSpecification, isInstalledGemspec } from './gem.js';
export { npmAnalyzer, classifyNpmPath, installedPackage, MAX_NODE_MODULES_DEPTH } from './npm.js';
export type { NpmFileKind } from './npm.js';
export { parsePackageLock } from './npm-lock.js';
export { parseYarnLock } from './yarn-lock.js';
export {
  pythonAnalyzer,
  classifyPythonPath,
  parseCoreMetadata,
  parseRequirements,
  pythonLicenses,
  pythonPackageFromMetadata,
} from './python.js';
export type { CoreMetadata, PythonFileKind } from './python.js';
export { LangParseError, MAX_LOCKFILE_BYTES, MAX_MANIFEST_BYTES } from './common.js';
export type { FoundPackage, ParsedFile } from './common.js';

/** Every language-package analyzer, for the inventory runner to register. */
export const languageFileAnalyzers: readonly Analyzer[] = [
  npmAnalyzer,
  pythonAnalyzer,
  cargoAnalyzer,
  gemAnalyzer,
  composerAnalyzer,
  dotnetAnalyzer,
];
