// Reads CycloneDX JSON (1.2–1.7) into the inventory model; see read.ts for the entry point.
import { tryParseDigest, truncateForMessage, type Digest } from '../core/index.js';
import { SbomError } from './errors.js';
import { isNoAssertion, splitConjunction } from './license.js';
import { PROP } from './properties.js';
import {
  cdxComponentSchema,
  cdxDocumentSchema,
  cdxHashSchema,
  cdxLicenseChoiceSchema,
  cdxPropertySchema,
  type CdxComponent,
} from './schema.js';
import type { ReadSbomResult, SbomSubject } from './types.js';

import { Collector, digestFrom, issueText, invalid } from './read-common.js';

function cdxLicenses(raw: readonly unknown[] | undefined, skipped: { n: number }): string[] {
  const out: string[] = [];
  for (const item of raw ?? []) {
    const r = cdxLicenseChoiceSchema.safeParse(item);
    if (!r.success) {
      skipped.n++;
      continue;
    }
    const l = r.data;
    if ('expression' in l) out.push(...splitConjunction(l.expression));
    else if ('id' in l.license) out.push(l.license.id);
    else out.push(l.license.name);
  }
  return [...new Set(out.filter((s) => !isNoAssertion(s)))];
}

function cdxProps(raw: readonly unknown[] | undefined): Map<string, string> {
  const props = new Map<string, string>();
  for (const item of raw ?? []) {
    const r = cdxPropertySchema.safeParse(item);
    // First value wins: Syft repeats names like syft:cpe23.
    if (r.success && r.data.value !== undefined && !props.has(r.data.name))
      props.set(r.data.name, r.data.value);
  }
  return props;
}

function cdxSubject(raw: unknown): SbomSubject | undefined {
  const r = cdxComponentSchema.safeParse(raw);
  if (!r.success) return undefined;
  const c = r.data;
  let digest: Digest | undefined;
  for (const h of c.hashes ?? []) {
    const p = cdxHashSchema.safeParse(h);
    if (p.success) digest ??= digestFrom(p.data.alg, p.data.content);
  }
  digest ??= c.version === undefined ? undefined : tryParseDigest(c.version);
  return {
    name: c.group === undefined ? c.name : `${c.group}/${c.name}`,
    version: c.version,
    purl: c.purl,
    digest,
    kind: c.type.toLowerCase(),
  };
}

export function readCycloneDx(doc: unknown, origin: string, maxPackages: number): ReadSbomResult {
  const parsed = cdxDocumentSchema.safeParse(doc);
  if (!parsed.success) throw invalid(origin, 'CycloneDX', parsed.error.issues);
  const bom = parsed.data;
  const specVersion = bom.specVersion;
  // CycloneDX 1.0 and 1.1 were XML only; JSON starts at 1.2. Minor versions only add fields.
  if (!/^1\.[2-7]$/.test(specVersion)) {
    throw new SbomError(
      'SBOM_VERSION_UNSUPPORTED',
      `${origin}: CycloneDX ${truncateForMessage(specVersion, 16)} JSON is not supported (supported: 1.2 to 1.7)`,
    );
  }
  const out = new Collector(origin);
  const skippedLicenses = { n: 0 };
  // Depth-first in document order, with an explicit stack: nesting depth costs no recursion.
  const stack: { raw: unknown; path: string }[] = (bom.components ?? [])
    .map((raw, i) => ({ raw, path: `components[${i}]` }))
    .reverse();
  let count = 0;
  while (stack.length > 0) {
    const { raw, path } = stack.pop() ?? { raw: undefined, path: '' };
    if (++count > maxPackages) {
      throw new SbomError('SBOM_TOO_MANY_PACKAGES', `${origin}: more than ${maxPackages} components`);
    }
    const r = cdxComponentSchema.safeParse(raw);
    if (!r.success) {
      out.gap(`${path} is not a valid component: ${issueText(r.error.issues)}`);
      continue;
    }
    const c: CdxComponent = r.data;
    (c.components ?? []).forEach((_, i, all) => {
      const j = all.length - 1 - i;
      stack.push({ raw: all[j], path: `${path}.components[${j}]` });
    });
    const props = cdxProps(c.properties);
    if (c.type === 'operating-system') {
      out.setOs({
        family: c.name.toLowerCase(),
        version: c.version,
        codename: props.get(PROP.osCodename),
        prettyName: c.description,
        source: props.get(PROP.osSource) ?? origin,
        distroless: props.get(PROP.osDistroless) === 'true',
      });
      continue;
    }
    out.add({
      label: c.name === '' ? (c['bom-ref'] ?? path) : c.name,
      name: c.name,
      version: c.version,
      purl: c.purl,
      licenses: cdxLicenses(c.licenses, skippedLicenses),
      props,
    });
  }
  if (skippedLicenses.n > 0) out.warnings.push(`${skippedLicenses.n} malformed license entries ignored`);
  const { inventory, otherPackages } = out.finish();
  return {
    format: 'cyclonedx',
    specVersion,
    subject: cdxSubject(bom.metadata?.component),
    inventory,
    otherPackages,
  };
}
