// The inventory capability's public door: the runner, the analyzers, OS detection and purls.
export { buildInventory, comparePackages, combineSummarize } from './inventory.js';
export type { BuildInventoryOptions } from './inventory.js';
export { defaultAnalyzers } from './analyzers.js';
export { dpkgAnalyzer } from './dpkg/analyzer.js';
export { apkAnalyzer } from './apk/analyzer.js';
export { rpmAnalyzer } from './rpm/index.js';
export { languageFileAnalyzers } from './lang/index.js';
export { binaryAnalyzers } from './binary/index.js';
export { detectOs, osWants } from './os/detect.js';
export { toPurl, normalizePythonName, isOsPackageType } from './purl.js';
export type { PurlInput } from './purl.js';
export { InventoryError } from './errors.js';
export type { InventoryErrorCode } from './errors.js';
export type {
  PackageType,
  OsInfo,
  PackageLocation,
  Package,
  InventoryGap,
  Inventory,
  AnalyzerContext,
  AnalyzerResult,
  Analyzer,
} from './types.js';
