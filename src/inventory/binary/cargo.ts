// The Rust binary analyzer: programs built with cargo-auditable carry their dependency list in
// an ELF section `.dep-v0`, zlib-compressed JSON (the format of the cargo-auditable project:
// https://github.com/rust-secure-code/cargo-auditable, `auditable-serde`). Each crate linked
// into the program becomes a `pkg:cargo/` package.
import { inflateSync } from 'node:zlib';
import { errorMessage } from '../../core/index.js';
import { toPurl } from '../purl.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult, InventoryGap, Package } from '../types.js';
import { isElf, parseElf, sectionBytes } from './elf.js';
import { FormatError } from './format-error.js';
import { auditableSchema } from './schema.js';

const ID = 'rust-binary';
const SECTION = '.dep-v0';
const MIN_BYTES = 4096;
// cargo-auditable's own reader refuses more than 8 MiB of decompressed JSON; a real list is
// tens of KiB, so anything larger is a bomb.
const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** One crate as the binary records it. */
export type CargoCrate = {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly root: boolean;
};

/** The outcome for one file: the crates, or why its audit data could not be read. */
export type CargoSummary =
  | { readonly kind: 'cargo'; readonly crates: readonly CargoCrate[]; readonly buildOnly: number }
  | { readonly kind: 'invalid'; readonly reason: string };

function decode(section: Buffer): CargoSummary {
  let json: Buffer;
  try {
    json = inflateSync(section, { maxOutputLength: MAX_JSON_BYTES });
  } catch (err) {
    // RangeError for output over the cap, zlib errors for corrupt data.
    throw new FormatError(
      `${SECTION} does not inflate to at most ${MAX_JSON_BYTES} bytes: ${errorMessage(err)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new FormatError(`${SECTION} is not JSON: ${errorMessage(err)}`);
  }
  const parsed = auditableSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FormatError(
      `${SECTION} is not cargo-auditable data: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  const crates: CargoCrate[] = [];
  let buildOnly = 0;
  for (const p of parsed.data.packages) {
    // Build dependencies (build scripts, proc macros) ran at compile time and are not linked
    // into the program, so they are counted but not reported.
    if (p.kind === 'build') {
      buildOnly++;
      continue;
    }
    crates.push({ name: p.name, version: p.version, source: p.source, root: p.root === true });
  }
  return { kind: 'cargo', crates, buildOnly };
}

/**
 * Reads the cargo-auditable data of an ELF binary. Undefined when the file is not ELF or has
 * no `.dep-v0` section; never throws: corrupt data is an `invalid` summary.
 */
export function readCargoAuditable(buf: Buffer): CargoSummary | undefined {
  if (!isElf(buf)) return undefined;
  let section: Buffer | undefined;
  try {
    const elf = parseElf(buf);
    section = elf === undefined ? undefined : sectionBytes(buf, elf, SECTION);
  } catch (err) {
    // Without a readable section table there is no `.dep-v0` to find: not ours to report.
    if (err instanceof FormatError) return undefined;
    throw err;
  }
  if (section === undefined) return undefined;
  try {
    return decode(section);
  } catch (err) {
    if (err instanceof FormatError) return { kind: 'invalid', reason: err.message };
    throw err;
  }
}

function analyze(ctx: AnalyzerContext): AnalyzerResult {
  const packages: Package[] = [];
  const gaps: InventoryGap[] = [];
  for (const path of ctx.paths) {
    // The runner hands back exactly what this analyzer's reducer returned for the file.
    const summary = ctx.summary(path) as CargoSummary | undefined;
    if (summary === undefined) continue;
    if (summary.kind === 'invalid') {
      gaps.push({ analyzer: ID, path, reason: summary.reason });
      continue;
    }
    const location = ctx.location(path);
    for (const c of summary.crates) {
      packages.push({
        type: 'cargo',
        name: c.name,
        version: c.version,
        purl: toPurl({ type: 'cargo', name: c.name, version: c.version }),
        licenses: [],
        location,
        metadata: { source: c.source, ...(c.root ? { root: 'true' } : {}) },
      });
    }
  }
  return { packages, gaps };
}

/** Rust programs built with cargo-auditable: the crates linked into each executable ELF file. */
export const rustBinaryAnalyzer: Analyzer = {
  id: ID,
  summarize: (_path, meta) =>
    (meta.mode & 0o111) !== 0 && meta.size >= MIN_BYTES ? readCargoAuditable : undefined,
  analyze,
};
