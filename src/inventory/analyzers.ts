// The analyzers buildInventory runs when the caller names none. Add each new analyzer here.
import { apkAnalyzer } from './apk/analyzer.js';
import { binaryAnalyzers } from './binary/index.js';
import { dpkgAnalyzer } from './dpkg/analyzer.js';
import { languageFileAnalyzers } from './lang/index.js';
import { rpmAnalyzer } from './rpm/index.js';
import type { Analyzer } from './types.js';

/** Every analyzer Portcullis has, in the order they run (OS package databases first). */
export const defaultAnalyzers: readonly Analyzer[] = [
  dpkgAnalyzer,
  apkAnalyzer,
  rpmAnalyzer,
  ...languageFileAnalyzers,
  ...binaryAnalyzers,
];
