// Licenses from a package's usr/share/doc/<pkg>/copyright when it is machine-readable
// (DEP-5, https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/). Free-form
// copyright files name no licenses we could read reliably, so they give none.
import { firstLineOf, parseDeb822 } from './deb822.js';

// The Format field's URI; early drafts used dep.debian.net/deps/dep5.
const FORMAT = /copyright-format|deps\/dep5/i;

/**
 * The license short names of a DEP-5 copyright file, as written and without repeats, in order
 * of appearance: the header's License and each Files paragraph's License (the first line;
 * expressions such as `GPL-2+ or Artistic` are kept whole). Stand-alone License paragraphs only
 * hold the text of names already used, so they add nothing. Empty for a free-form file.
 */
export function parseCopyrightLicenses(text: string): string[] {
  const paragraphs = parseDeb822(text, { comments: true });
  const header = paragraphs[0];
  if (header === undefined || !FORMAT.test(header.fields.get('format') ?? '')) return [];
  const found = new Set<string>();
  for (const p of paragraphs) {
    if (p !== header && !p.fields.has('files')) continue;
    const name = firstLineOf(p.fields.get('license'))?.trim();
    if (name !== undefined && name !== '') found.add(name);
  }
  return [...found];
}
