// Python distributions. Installed ones are read from their core metadata
// (https://packaging.python.org/en/latest/specifications/core-metadata/): `*.dist-info/METADATA`
// (wheels, pip), `*.egg-info/PKG-INFO` and `*.egg-info` files (setuptools, distro packages) and
// `*.egg/EGG-INFO/PKG-INFO` (unzipped eggs). The format is RFC 822 headers, so a small header
// reader suffices. Pinned lines (`name==version`) of requirements.txt files outside
// site-packages are reported as `declaredOnly`, unless the same name and version is installed.
import { imagePathBase, truncateForMessage } from '../../core/index.js';
import { normalizePythonName } from '../purl.js';
import type { Analyzer, AnalyzerContext, AnalyzerResult } from '../types.js';
import { Collector, distinctLicenses, MAX_MANIFEST_BYTES, type FoundPackage } from './common.js';

/** Core metadata headers by lower-case name, each with every value given, in order. */
export type CoreMetadata = ReadonlyMap<string, readonly string[]>;

/**
 * Reads the header block of a METADATA / PKG-INFO file: `Name: value` lines up to the first
 * blank line, with indented continuation lines folded into the previous value. Lines that are
 * neither are ignored, as Python's own email parser does with defects.
 */
export function parseCoreMetadata(text: string): CoreMetadata {
  const headers = new Map<string, string[]>();
  let last: { values: string[]; index: number } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      last.values[last.index] = `${last.values[last.index] ?? ''}\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(key, values);
    last = { values, index: values.length - 1 };
  }
  return headers;
}

function first(headers: CoreMetadata, key: string): string | undefined {
  return headers.get(key)?.[0]?.trim();
}

// Classifiers that say a license is approved without naming it.
const UNNAMED_LICENSE_CLASSIFIERS = new Set(['OSI Approved', 'DFSG approved']);

/**
 * The declared licenses, most precise source first: `License-Expression` (PEP 639, SPDX),
 * else the names in `License ::` classifiers (`License :: OSI Approved :: MIT License` →
 * `MIT License`), else the first line of the free-text `License` field unless it is UNKNOWN
 * or a whole license text.
 */
export function pythonLicenses(headers: CoreMetadata): string[] {
  const expression = first(headers, 'license-expression');
  if (expression !== undefined && expression !== '') return [expression];
  const classified = distinctLicenses(
    (headers.get('classifier') ?? []).map((c) => {
      const parts = c.split('::').map((s) => s.trim());
      if (parts[0] !== 'License' || parts.length < 2) return undefined;
      const named = parts.slice(1);
      return named.length === 1 && UNNAMED_LICENSE_CLASSIFIERS.has(named[0] ?? '')
        ? undefined
        : named[named.length - 1];
    }),
  );
  if (classified.length > 0) return classified;
  const field = first(headers, 'license')
    ?.split('\n')
    .find((l) => l.trim() !== '')
    ?.trim();
  if (field === undefined || field.toUpperCase() === 'UNKNOWN' || field.length > 200) return [];
  return [field];
}

// PEP 508 names: letters, digits, and . _ - inside.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** The distribution a METADATA / PKG-INFO text describes, or why it names none. */
export function pythonPackageFromMetadata(text: string): FoundPackage | string {
  const headers = parseCoreMetadata(text);
  const name = first(headers, 'name');
  const version = first(headers, 'version');
  if (name === undefined || name === '') return 'no "Name:" header in the core metadata';
  if (!NAME.test(name)) return `invalid distribution name "${truncateForMessage(name)}"`;
  if (version === undefined || version === '') return `no "Version:" header for ${name}`;
  if (version.length > 128 || /\s/.test(version))
    return `invalid version "${truncateForMessage(version)}" for ${name}`;
  return { name, version, licenses: pythonLicenses(headers) };
}

// An exact pin: name, optional extras, `==` or `===`, a version without wildcard, optional markers.
const PIN =
  /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:;.*)?$/;

const MAX_REQUIREMENT_LINE = 4096;

/**
 * The exact pins of a pip requirements file (https://pip.pypa.io/en/stable/reference/requirements-file-format/).
 * Options (`-r`, `-e`, `--hash`), URLs, paths and ranges pin nothing and are skipped.
 */
export function parseRequirements(text: string): FoundPackage[] {
  const out: FoundPackage[] = [];
  const seen = new Set<string>();
  const logical = text.replace(/\\\r?\n/g, ' ').split('\n');
  for (const raw of logical) {
    // Real requirement lines are short; a huge one is not a pin and must not feed the regexes.
    if (raw.length > MAX_REQUIREMENT_LINE) continue;
    const line = raw
      .replace(/(^|\s)#.*$/, '')
      .replace(/\s--?[a-z][a-z-]*(=|\s+)\S+/g, '')
      .trim();
    if (line === '' || line.startsWith('-')) continue;
    const m = PIN.exec(line);
    const name = m?.[1];
    const version = m?.[2];
    if (name === undefined || version === undefined) continue;
    const id = `${normalizePythonName(name)}@${version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ name, version, licenses: [] });
  }
  return out;
}

/** What a Python-related path is. */
export type PythonFileKind = 'metadata' | 'requirements';

const SITE_DIRS = ['site-packages', 'dist-packages'];

/** Classifies a path as core metadata, a requirements file outside site-packages, or neither. */
export function classifyPythonPath(path: string): PythonFileKind | undefined {
  if (
    path.endsWith('.dist-info/METADATA') ||
    path.endsWith('.egg-info/PKG-INFO') ||
    path.endsWith('.egg-info') ||
    path.endsWith('.egg/EGG-INFO/PKG-INFO')
  ) {
    return 'metadata';
  }
  if (imagePathBase(path) === 'requirements.txt' && !path.split('/').some((s) => SITE_DIRS.includes(s))) {
    return 'requirements';
  }
  return undefined;
}

function analyzePython(ctx: AnalyzerContext): AnalyzerResult {
  const c = new Collector('python', ctx);
  const installed = new Set<string>();
  const requirements: string[] = [];
  for (const p of ctx.paths) {
    const kind = classifyPythonPath(p);
    if (kind === 'requirements') requirements.push(p);
    if (kind !== 'metadata') continue;
    const text = c.readText(p, MAX_MANIFEST_BYTES);
    if (text === undefined) continue;
    const found = pythonPackageFromMetadata(text);
    if (typeof found === 'string') {
      c.gap(p, found);
      continue;
    }
    if (c.add('pypi', p, found) !== undefined)
      installed.add(`${normalizePythonName(found.name)}@${found.version}`);
  }
  for (const p of requirements) {
    const text = c.readText(p, MAX_MANIFEST_BYTES);
    if (text === undefined) continue;
    for (const found of parseRequirements(text)) {
      if (!installed.has(`${normalizePythonName(found.name)}@${found.version}`))
        c.add('pypi', p, found, true);
    }
  }
  return c.result();
}

/**
 * Python distributions from installed core metadata (dist-info, egg-info, eggs), plus exact
 * pins of requirements.txt files that are not installed (`declaredOnly`).
 */
export const pythonAnalyzer: Analyzer = {
  id: 'python',
  wants: (path) => classifyPythonPath(path) !== undefined,
  analyze: analyzePython,
};
