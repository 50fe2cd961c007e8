/** One authentication challenge from a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export type AuthChallenge = {
  /** Lower-cased scheme: `basic`, `bearer`, ... */
  readonly scheme: string;
  /** Parameters with lower-cased names; quoted values are unescaped. */
  readonly params: Readonly<Record<string, string>>;
};

// Registries send short headers; anything longer is not worth parsing and might be hostile.
const MAX_HEADER_CHARS = 16 * 1024;
const TOKEN_CHAR = /[A-Za-z0-9!#$%&'*+.^_`|~-]/;

/**
 * Parses every challenge in one or more `WWW-Authenticate` values. Several challenges may share
 * one value (`Basic realm="a", Bearer realm="b"`), and quoted values may contain commas, so the
 * header is tokenized rather than split. Malformed tails are dropped, never thrown on.
 */
export function parseAuthChallenges(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  const out: AuthChallenge[] = [];
  for (const v of values) out.push(...parseOne(v.slice(0, MAX_HEADER_CHARS)));
  return out;
}

function parseOne(s: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i] ?? '')) i++;
    return s.slice(start, i);
  };
  // RFC 9110 wants unquoted values to be tokens, but realms like https://host/token are sent
  // unquoted in the wild; read up to the next separator instead.
  const readBare = (): string => {
    const start = i;
    while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t' && s[i] !== '"') i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // Caller has checked s[i] === '"'.
    i++;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i] ?? '';
      i++;
    }
    i++;
    return v;
  };

  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    const scheme = readToken();
    if (scheme === '') {
      // Not a token where a scheme must start: skip one character and resynchronize.
      i++;
      continue;
    }
    const params: Record<string, string> = {};
    for (;;) {
      skipSpace();
      const save = i;
      const name = readToken();
      skipSpace();
      if (name === '' || s[i] !== '=') {
        // token68 (`Negotiate abc==`) is not used by registries; a bare token starts the next challenge.
        i = name === '' ? i : save;
        break;
      }
      i++;
      skipSpace();
      const value = s[i] === '"' ? readQuoted() : readBare();
      params[name.toLowerCase()] = value;
      skipSpace();
      if (s[i] !== ',') break;
      i++;
    }
    out.push({ scheme: scheme.toLowerCase(), params });
  }
  return out;
}
