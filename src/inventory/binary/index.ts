// Analyzers that read compiled programs and archives found anywhere in an image (Go build info,
// cargo-auditable data, Java archives). They summarize large files as the layers stream past
// instead of keeping them.
import { rustBinaryAnalyzer } from './cargo.js';
import { goBinaryAnalyzer } from './go.js';
import { javaArchiveAnalyzer } from './java.js';
import type { Analyzer } from '../types.js';

export { goBinaryAnalyzer, goStdlibVersion, GO_STDLIB } from './go.js';
export { readGoBuildInfo } from './gobuildinfo.js';
export type { GoBinarySummary, GoBuildInfo, GoModule } from './gobuildinfo.js';
export { rustBinaryAnalyzer, readCargoAuditable } from './cargo.js';
export type { CargoCrate, CargoSummary } from './cargo.js';
export {
  javaArchiveAnalyzer,
  createJavaArchiveAnalyzer,
  readJavaArchive,
  DEFAULT_JAVA_ARCHIVE_LIMITS,
} from './java.js';
export type { JavaArchiveLimits, JavaArtifact, JavaIdentitySource, JavaSummary } from './java.js';

/** Every binary and archive analyzer, for the inventory runner's list. */
export const binaryAnalyzers: readonly Analyzer[] = [
  goBinaryAnalyzer,
  rustBinaryAnalyzer,
  javaArchiveAnalyzer,
];
