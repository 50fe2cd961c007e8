// The control-file syntax dpkg's status database and DEP-5 copyright files share (Debian
// Policy 5.1, deb822(5)): paragraphs separated by blank lines, `Field: value` lines, and
// continuation lines that start with a space or tab. Parsing never throws: what does not fit
// the grammar is reported with its line number and skipped.

/** One paragraph; field names lower-cased (they are case-insensitive). */
export type Deb822Paragraph = {
  /** 1-based line number of the paragraph's first line. */
  readonly line: number;
  /** Value of each field: the first line trimmed, then each continuation line (leading blanks removed), joined by "\n". */
  readonly fields: ReadonlyMap<string, string>;
  /** Lines of this paragraph that did not parse, one message each. */
  readonly problems: readonly string[];
};

// Policy 5.1: a field name is US-ASCII printable characters except ":" , not starting with "#" or "-".
const FIELD_LINE = /^([!-"$-,.-9;-~][!-9;-~]*):(.*)$/;
const MAX_SHOWN = 60;

function shown(line: string): string {
  return line.length > MAX_SHOWN ? `${line.slice(0, MAX_SHOWN)}…` : line;
}

/**
 * Splits deb822 text into paragraphs. With `comments`, lines starting with "#" are skipped
 * (allowed in source control files and some copyright files, never in dpkg's database).
 */
export function parseDeb822(text: string, options?: { readonly comments?: boolean }): Deb822Paragraph[] {
  const paragraphs: Deb822Paragraph[] = [];
  let fields = new Map<string, string>();
  let problems: string[] = [];
  let start = 0;
  let current: string | undefined;

  const finish = (): void => {
    if (start > 0) paragraphs.push({ line: start, fields, problems });
    fields = new Map();
    problems = [];
    start = 0;
    current = undefined;
  };

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    const lineNo = i + 1;
    // Lines of only blanks separate paragraphs too (Policy 5.1 allows parsers to accept them).
    if (line.trim() === '') {
      finish();
      continue;
    }
    if (options?.comments === true && line.startsWith('#')) continue;
    if (start === 0) start = lineNo;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current === undefined) {
        problems.push(`line ${lineNo}: continuation line without a field: "${shown(line.trim())}"`);
      } else {
        fields.set(current, `${fields.get(current) ?? ''}\n${line.trim()}`);
      }
      continue;
    }
    const m = FIELD_LINE.exec(line);
    const name = m?.[1]?.toLowerCase();
    if (name === undefined) {
      problems.push(`line ${lineNo}: not a "Field: value" line: "${shown(line)}"`);
      current = undefined;
      continue;
    }
    if (fields.has(name)) {
      problems.push(`line ${lineNo}: field ${m?.[1] ?? name} repeated; the first one is kept`);
      current = undefined;
      continue;
    }
    fields.set(name, (m?.[2] ?? '').trim());
    current = name;
  }
  finish();
  return paragraphs;
}

/** The first line of a field's value (a License field's short name, a Source field's name). */
export function firstLineOf(value: string | undefined): string | undefined {
  return value?.split('\n', 1)[0];
}
