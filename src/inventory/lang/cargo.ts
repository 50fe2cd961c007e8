// Rust crates from Cargo.lock (format versions 1 to 4, https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html).
// A Cargo.lock in an image usually ships beside the application built from it, but nothing in
// the image proves which crates were compiled in (dev-dependencies and other platforms' crates
// are locked too), so every crate is reported `declaredOnly`, with its `source` (registry or
// git URL; none for the workspace's own crates) and `checksum` as metadata.
import { imagePathBase, truncateForMessage } from '../../core/index.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult } from '../types.js';
import {
  Collector,
  compactMetadata,
  MAX_LOCKFILE_BYTES,
  type FoundPackage,
  type ParsedFile,
} from './common.js';
import { parseTomlSubset, type TomlValue } from './toml-subset.js';

// Cargo package names: letters, digits, `-` and `_` (crates.io caps them at 64 characters).
const CRATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function text(v: TomlValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * The crates a Cargo.lock lists, with `source` and `checksum` metadata (v1 files keep
 * checksums in a `[metadata]` table keyed `checksum NAME VERSION (SOURCE)`).
 *
 * @throws LangParseError naming the line when the file is not TOML of the kind Cargo writes.
 */
export function parseCargoLock(lock: string): ParsedFile & { readonly lockVersion: number | undefined } {
  const tables = parseTomlSubset(lock);
  const rootVersion = tables[0]?.values.get('version');
  const v1Checksums = new Map<string, string>();
  for (const t of tables) {
    if (t.header !== 'metadata' || t.isArrayItem) continue;
    for (const [key, value] of t.values) {
      if (key.startsWith('checksum ') && typeof value === 'string')
        v1Checksums.set(key.slice('checksum '.length), value);
    }
  }
  const packages: FoundPackage[] = [];
  const problems: string[] = [];
  for (const t of tables) {
    if (t.header !== 'package' || !t.isArrayItem) continue;
    const name = text(t.values.get('name'));
    const version = text(t.values.get('version'));
    if (name === undefined || !CRATE_NAME.test(name)) {
      problems.push(
        `line ${t.line}: [[package]] without a valid name (${truncateForMessage(String(name), 40)})`,
      );
      continue;
    }
    if (version === undefined || version === '' || /\s/.test(version)) {
      problems.push(`line ${t.line}: crate ${name} without a valid version`);
      continue;
    }
    const source = text(t.values.get('source'));
    const checksum =
      text(t.values.get('checksum')) ?? v1Checksums.get(`${name} ${version} (${source ?? ''})`);
    packages.push({ name, version, licenses: [], metadata: compactMetadata({ source, checksum }) });
  }
  return { packages, problems, lockVersion: typeof rootVersion === 'number' ? rootVersion : undefined };
}

function analyzeCargo(ctx: AnalyzerContext): AnalyzerResult {
  const c = new Collector('cargo', ctx);
  c.parseEach((p) => imagePathBase(p) === 'Cargo.lock', MAX_LOCKFILE_BYTES, parseCargoLock, 'cargo', true);
  return c.result();
}

/** Rust crates listed in Cargo.lock files (`declaredOnly`, with source and checksum). */
export const cargoAnalyzer: Analyzer = {
  id: 'cargo',
  wants: (path) => imagePathBase(path) === 'Cargo.lock',
  analyze: analyzeCargo,
};
