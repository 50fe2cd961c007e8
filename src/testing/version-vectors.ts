// Test-only: checks a version scheme against a file of published comparison vectors, with the
// places where the vectors and the ecosystem's own rules part ways written down beside the test.
import type { VersionScheme } from '../version/index.js';
import { sharedData } from './fixtures.js';
import { readVersionVectors } from './version-oracles.js';

/** A vector the scheme answers differently on purpose: its answer and why the vector is wrong. */
export type KnownDisagreement = { readonly ours: -1 | 0 | 1; readonly reason: string };

export type VectorCheck = {
  /** Vector lines read. */
  readonly vectors: number;
  /** Vectors answered as the file says. */
  readonly agreed: number;
  /** Vectors with a side the scheme refuses, as listed in `refused`. */
  readonly refused: number;
  /** Vectors answered otherwise, as listed in `disagreements`. */
  readonly disagreed: number;
  /** Everything else: unexpected answers, unlisted refusals, and table entries no vector used. */
  readonly problems: readonly string[];
};

/**
 * Runs every vector of `version-compare/<file>` through `scheme`. A vector passes when the scheme
 * agrees with it (both ways round); or when one side is a version listed in `refused` (with why
 * the ecosystem rejects it) and the scheme refuses it; or when its line (`a op b`) is listed in
 * `disagreements` and the scheme gives the listed answer. Table entries no vector used are
 * problems too, so the tables cannot go stale.
 */
export function checkVectors(
  scheme: VersionScheme,
  file: string,
  refused: Readonly<Record<string, string>>,
  disagreements: Readonly<Record<string, KnownDisagreement>>,
): VectorCheck {
  const cases = readVersionVectors(sharedData('version-compare', ...file.split('/')));
  const problems: string[] = [];
  const usedRefused = new Set<string>();
  const usedDisagreements = new Set<string>();
  let agreed = 0;
  let refusedCount = 0;
  let disagreed = 0;
  for (const c of cases) {
    const where = `${file}:${c.line}`;
    const op = c.expected < 0 ? '<' : c.expected > 0 ? '>' : '=';
    const key = `${c.a} ${op} ${c.b}`;
    const invalid = [c.a, c.b].filter((v) => !scheme.isValid(v));
    if (invalid.length > 0) {
      for (const v of invalid) {
        if (refused[v] === undefined)
          problems.push(`${where}: ${scheme.id} refuses ${JSON.stringify(v)} (unlisted)`);
        usedRefused.add(v);
      }
      refusedCount++;
      continue;
    }
    const ours = Math.sign(scheme.compare(c.a, c.b));
    const back = Math.sign(scheme.compare(c.b, c.a));
    if (back !== -ours) problems.push(`${where}: ${key} is not antisymmetric (${ours}, ${back})`);
    const known = disagreements[key];
    if (known !== undefined) {
      usedDisagreements.add(key);
      if (ours === known.ours) disagreed++;
      else problems.push(`${where}: ${key}: listed as answering ${known.ours}, answered ${ours}`);
    } else if (ours === c.expected) {
      agreed++;
    } else {
      problems.push(`${where}: ${key}: ${scheme.id} answered ${ours}`);
    }
  }
  for (const v of Object.keys(refused)) {
    if (!usedRefused.has(v))
      problems.push(`${file}: listed refusal ${JSON.stringify(v)} matched no refused vector`);
  }
  for (const k of Object.keys(disagreements)) {
    if (!usedDisagreements.has(k)) problems.push(`${file}: listed disagreement "${k}" matched no vector`);
  }
  return { vectors: cases.length, agreed, refused: refusedCount, disagreed, problems };
}
