// Analyzers that read compiled programs and archives found anywhere in an image (Go build info,
// cargo-auditable data, Java archives). They summarize large files as the layers stream past
// instead of keeping them.
import { rustBinaryAnalyzer } from './cargo.js';
import { goBinaryAnalyzer } from './go.js';
import type { Analyzer } from '../types.js';

export { goBinaryAnalyzer, goStdlibVersion, GO_STDLIB } from './go.js';
export { rustBinaryAnalyzer } from './cargo.js';

/** Every binary and archive analyzer, for the inventory runner's list. */
export const binaryAnalyzers: readonly Analyzer[] = [goBinaryAnalyzer, rustBinaryAnalyzer];
