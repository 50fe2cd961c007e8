// Analyzers that read compiled programs and archives found anywhere in an image (Go build info,
// cargo-auditable data, Java archives). They summarize large files as the layers stream past
// instead of keeping them.
import { goBinaryAnalyzer } from './go.js';
import type { Analyzer } from '../types.js';

export { goBinaryAnalyzer, goStdlibVersion, GO_STDLIB } from './go.js';

/** Every binary and archive analyzer, for the inventory runner's list. */
export const binaryAnalyzers: readonly Analyzer[] = [goBinaryAnalyzer];
