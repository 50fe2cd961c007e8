// The variable-assignment syntax of os-release(5) and lsb-release: `KEY=value` lines where the
// value follows shell quoting (single quotes literal; double quotes with \ escaping $ " \ `;
// a backslash outside quotes escaping the next character). Nothing is expanded or executed.

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters a backslash escapes inside double quotes (POSIX shell, as os-release(5) requires). */
const DQ_ESCAPES = new Set(['$', '"', '\\', '`']);

/** Value of one assignment's right-hand side; undefined when a quote is not closed. */
function unquote(raw: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw.charAt(i);
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= raw.length) return undefined;
        const d = raw.charAt(i);
        if (d === '"') break;
        const next = raw.charAt(i + 1);
        if (d === '\\' && DQ_ESCAPES.has(next)) {
          out += next;
          i += 2;
        } else {
          out += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\' && i + 1 < raw.length) {
      out += raw.charAt(i + 1);
      i += 2;
    } else if (c === ' ' || c === '\t') {
      // Unquoted whitespace ends the word; what follows (a comment) is not part of the value.
      break;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * Parses os-release(5)-style assignments into a map. Comments, blank lines and lines that are
 * not assignments (or have an unclosed quote) are skipped; a later assignment overrides an
 * earlier one, as sourcing the file in a shell would.
 */
export function parseShellVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!KEY.test(key)) continue;
    const value = unquote(line.slice(eq + 1));
    if (value !== undefined) vars.set(key, value);
  }
  return vars;
}
