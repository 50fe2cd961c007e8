/**
 * A small POSIX-shell word splitter for RUN text: enough to see commands and their words, with
 * quotes removed. It does not expand variables or run subshells; `$(...)` stays in the word.
 * Commands are separated at unquoted `&&`, `||`, `;`, `|`, `&` and newlines.
 */
export function splitShellCommands(text: string): string[][] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const exec = parseExecForm(trimmed);
    if (exec !== undefined) return [exec];
  }
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) break;
      i++;
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
    } else if (c === "'") {
      // Lenient on purpose: `\'` inside single quotes is read as an escaped quote (what authors
      // mean, though sh ends the string there), and an unterminated quote as a literal one.
      let end = i + 1;
      while (end < text.length && !(text[end] === "'" && text[end - 1] !== '\\')) end++;
      inWord = true;
      if (end >= text.length) {
        word += c;
        continue;
      }
      word += text.slice(i + 1, end).replace(/\\'/g, "'");
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] ?? '')) i++;
        word += text[i] ?? '';
      }
    } else if (c === ';' || c === '|' || c === '&' || c === '\n') {
      endCommand();
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

function parseExecForm(text: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `NAME=value` as a pair, for environment assignments. */
export function splitAssignment(word: string): readonly [string, string] | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(word);
  return m ? [m[1] ?? '', m[2] ?? ''] : undefined;
}
