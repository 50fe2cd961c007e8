// The two text formats Java archives describe themselves in: the `pom.properties` Maven writes
// into every artifact it builds (a java.util.Properties file) and the JAR manifest
// (JAR File Specification, "JAR Manifest": `Name: value` headers of at most 72 bytes per line,
// longer values continued on lines that start with one space; the main section ends at the
// first blank line).

// Values longer than this are not identifiers anyone writes; they are cut, not kept.
const MAX_VALUE = 512;

/** A copy of a short string that does not keep the (possibly large) text it was cut from alive. */
function detach(s: string): string {
  return Buffer.from(s.slice(0, MAX_VALUE), 'utf8').toString('utf8');
}

const ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Unescapes a Properties key or value: `\t \n \r \f`, `\uXXXX`, any other `\c` is `c`. */
function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) =>
    e.length === 5 ? String.fromCharCode(parseInt(e.slice(1), 16)) : (ESCAPES[e] ?? e),
  );
}

/**
 * Parses a java.util.Properties text (Properties.load: `#`/`!` comments, `=`, `:` or white space
 * between key and value, lines continued by an odd number of trailing backslashes).
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(?:^|[^\\])(?:\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^[ \t\f]+/, '');
    }
    const m = /^((?:\\.|[^\\=: \t\f])*)[ \t\f]*[=:]?[ \t\f]*(.*)$/.exec(line);
    if (!m) continue;
    const key = unescape(m[1] ?? '');
    if (key !== '' && !out.has(key)) out.set(detach(key), detach(unescape(m[2] ?? '')));
  }
  return out;
}

/** The main section of a JAR manifest, header names as written (they are case-insensitive: look up with `manifestValue`). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let value = '';
  const flush = (): void => {
    if (name !== undefined && !out.has(name.toLowerCase())) out.set(name.toLowerCase(), detach(value.trim()));
  };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      // Continuation: appended without the leading space, the line break itself removed.
      if (name !== undefined && value.length < MAX_VALUE) value += line.slice(1);
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) {
      name = undefined;
      continue;
    }
    name = line.slice(0, colon);
    value = line.slice(colon + 1);
  }
  flush();
  return out;
}

/** A manifest header by name, case-insensitively (as java.util.jar.Attributes compares them). */
export function manifestValue(manifest: ReadonlyMap<string, string>, header: string): string | undefined {
  const v = manifest.get(header.toLowerCase());
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Artifact name and version from a file name `name-1.2.3.jar`: the version starts at the last
 * `-` followed by `digits.digit` (so `log4j-1.2-api-2.17.1.jar` is `log4j-1.2-api` 2.17.1 and
 * `guava-31.1-jre.jar` is `guava` 31.1-jre), else at the last `-digit`. A heuristic: file
 * names carry no structure.
 */
export function parseArchiveFileName(fileName: string): { name: string; version: string | undefined } {
  const base = fileName.replace(/\.(?:jar|war|ear|jpi|hpi)$/i, '');
  const dashes = [...base.matchAll(/-(?=\d)/g)].map((m) => m.index);
  const dotted = dashes.filter((i) => /^\d+\.\d/.test(base.slice(i + 1)));
  const at = dotted.at(-1) ?? dashes.at(-1);
  if (at === undefined || at === 0) return { name: base, version: undefined };
  return { name: base.slice(0, at), version: base.slice(at + 1) };
}
