// A reader for the part of TOML (https://toml.io/en/v1.0.0) that lock files like Cargo.lock
// use: comments, `[table]` and `[[array-of-tables]]` headers, `key = value` with bare or quoted
// keys, and values that are strings (all four kinds), integers, booleans or arrays of those.
// Dotted keys, inline tables, floats and dates are refused with the line number: lock files
// do not use them, and guessing at them would only hide a malformed or hostile file.
import { truncateForMessage } from '../../core/index.js';
import { LangParseError } from './common.js';

export type TomlValue = string | number | boolean | readonly TomlValue[];

/** One table of the document, in file order; the root table has header "". */
export type TomlTable = {
  readonly header: string;
  readonly isArrayItem: boolean;
  readonly line: number;
  readonly values: ReadonlyMap<string, TomlValue>;
};

const MAX_ARRAY_DEPTH = 16;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  '\\': '\\',
};
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

class Scanner {
  pos = 0;
  line = 1;

  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new LangParseError(`line ${this.line}: ${what}`);
  }

  peek(n = 0): string | undefined {
    return this.text[this.pos + n];
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  done(): boolean {
    return this.pos >= this.text.length;
  }

  advance(n = 1): void {
    for (let i = 0; i < n; i++) if (this.text[this.pos++] === '\n') this.line++;
  }

  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  skipComment(): void {
    if (this.peek() !== '#') return;
    while (!this.done() && this.peek() !== '\n') this.pos++;
  }

  /** Spaces, newlines and comments (inside arrays, between statements). */
  skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      this.skipComment();
      const c = this.peek();
      if (c === '\n') this.advance();
      else if (c === '\r' && this.peek(1) === '\n') this.advance(2);
      else return;
    }
  }

  /** After a statement: only spaces and a comment may follow before the end of the line. */
  endOfLine(): void {
    this.skipSpaces();
    this.skipComment();
    if (this.done()) return;
    if (this.peek() === '\r' && this.peek(1) === '\n') this.advance(2);
    else if (this.peek() === '\n') this.advance();
    else this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))} after a value`);
  }

  key(): string {
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    const start = this.pos;
    while (!this.done() && /[A-Za-z0-9_-]/.test(this.peek() ?? '')) this.pos++;
    const key = this.text.slice(start, this.pos);
    if (!BARE_KEY.test(key))
      this.fail(`expected a key, found ${JSON.stringify(this.text.slice(start, start + 20))}`);
    return key;
  }

  private escape(): string {
    const c = this.peek() ?? '';
    this.pos++;
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return simple;
    if (c !== 'u' && c !== 'U') this.fail(`bad escape \\${c}`);
    const len = c === 'u' ? 4 : 8;
    const hex = this.text.slice(this.pos, this.pos + len);
    if (!(c === 'u' ? /^[0-9A-Fa-f]{4}$/ : /^[0-9A-Fa-f]{8}$/).test(hex)) this.fail(`bad \\${c} escape`);
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail(`bad \\${c} escape`);
    this.pos += len;
    return String.fromCodePoint(cp);
  }

  basicString(): string {
    if (this.startsWith('"""')) return this.multilineBasic();
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === '"') return out;
      out += c === '\\' ? this.escape() : c;
    }
  }

  private multilineBasic(): string {
    this.pos += 3;
    if (this.peek() === '\n') this.advance();
    else if (this.startsWith('\r\n')) this.advance(2);
    let out = '';
    for (;;) {
      if (this.done()) this.fail('unterminated """ string');
      if (this.startsWith('"""')) {
        // Up to two quotes may sit right before the closing delimiter.
        let extra = 0;
        while (extra < 2 && this.peek(3 + extra) === '"') extra++;
        out += '"'.repeat(extra);
        this.pos += 3 + extra;
        return out;
      }
      const c = this.peek() ?? '';
      if (c === '\\') {
        this.pos++;
        // A backslash at the end of a line trims the newline and the whitespace after it.
        let p = this.pos;
        while (this.text[p] === ' ' || this.text[p] === '\t') p++;
        if (this.text[p] === '\n' || (this.text[p] === '\r' && this.text[p + 1] === '\n')) {
          this.pos = p;
          while (/[ \t\r\n]/.test(this.peek() ?? '')) this.advance();
          continue;
        }
        out += this.escape();
        continue;
      }
      // Newlines in multi-line strings read as \n whatever the file uses, as tomllib does.
      if (c === '\r' && this.peek(1) === '\n') {
        out += '\n';
        this.advance(2);
        continue;
      }
      out += c;
      this.advance();
    }
  }

  literalString(): string {
    if (this.startsWith("'''")) {
      this.pos += 3;
      if (this.peek() === '\n') this.advance();
      else if (this.startsWith('\r\n')) this.advance(2);
      const end = this.text.indexOf("'''", this.pos);
      if (end < 0) this.fail("unterminated ''' string");
      let extra = 0;
      while (extra < 2 && this.text[end + 3 + extra] === "'") extra++;
      const out = this.text.slice(this.pos, end + extra).replaceAll('\r\n', '\n');
      this.advance(end + 3 + extra - this.pos);
      return out;
    }
    this.pos++;
    const end = this.text.indexOf("'", this.pos);
    const nl = this.text.indexOf('\n', this.pos);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail('unterminated string');
    const out = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  value(depth: number): TomlValue {
    const c = this.peek();
    if (c === '"') return this.basicString();
    if (c === "'") return this.literalString();
    if (c === '[') return this.array(depth + 1);
    if (c === '{') this.fail('inline tables are not supported');
    const m = /^(?:true|false|[+-]?(?:0|[1-9](?:_?[0-9])*))(?=[\s,\]#]|$)/.exec(
      this.text.slice(this.pos, this.pos + 32),
    )?.[0];
    if (m === undefined)
      this.fail(`unsupported value ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))}`);
    this.pos += m.length;
    if (m === 'true') return true;
    if (m === 'false') return false;
    const n = Number(m.replaceAll('_', ''));
    if (!Number.isSafeInteger(n)) this.fail(`integer ${m} out of range`);
    return n;
  }

  private array(depth: number): TomlValue[] {
    if (depth > MAX_ARRAY_DEPTH) this.fail(`arrays nested deeper than ${MAX_ARRAY_DEPTH}`);
    this.pos++;
    const out: TomlValue[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek() === ']') {
        this.pos++;
        return out;
      }
      if (this.done()) this.fail('unterminated array');
      out.push(this.value(depth));
      this.skipBlank();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ']') this.fail('expected "," or "]" in an array');
    }
  }
}

/**
 * The tables of a TOML document in the subset described above, in file order.
 *
 * @throws LangParseError naming the line of the first thing outside the subset or malformed.
 */
export function parseTomlSubset(text: string): TomlTable[] {
  const s = new Scanner(text);
  const tables: { header: string; isArrayItem: boolean; line: number; values: Map<string, TomlValue> }[] = [
    { header: '', isArrayItem: false, line: 1, values: new Map() },
  ];
  const seenTables = new Set<string>();
  for (;;) {
    s.skipBlank();
    if (s.done()) return tables;
    if (s.peek() === '[') {
      const isArrayItem = s.startsWith('[[');
      const line = s.line;
      s.advance(isArrayItem ? 2 : 1);
      s.skipSpaces();
      const parts = [s.key()];
      s.skipSpaces();
      // Table headers may be dotted (`[[patch.unused]]`), unlike keys in this subset.
      while (s.peek() === '.') {
        s.advance();
        s.skipSpaces();
        parts.push(s.key());
        s.skipSpaces();
      }
      const close = isArrayItem ? ']]' : ']';
      if (!s.startsWith(close)) s.fail(`expected "${close}" to close a table header`);
      s.advance(close.length);
      const header = parts.join('.');
      if (!isArrayItem) {
        if (seenTables.has(header)) s.fail(`table [${truncateForMessage(header, 40)}] defined twice`);
        seenTables.add(header);
      }
      tables.push({ header, isArrayItem, line, values: new Map() });
      s.endOfLine();
      continue;
    }
    const key = s.key();
    s.skipSpaces();
    if (s.peek() === '.') s.fail(`dotted keys are not supported ("${truncateForMessage(key, 40)}.")`);
    if (s.peek() !== '=') s.fail(`expected "=" after key "${truncateForMessage(key, 40)}"`);
    s.advance();
    s.skipSpaces();
    const value = s.value(0);
    const table = tables[tables.length - 1];
    if (table === undefined) throw new LangParseError('no table');
    if (table.values.has(key)) s.fail(`key "${truncateForMessage(key, 40)}" defined twice`);
    table.values.set(key, value);
    s.endOfLine();
  }
}
