import { scanText } from '../../secrets/index.js';
import { splitShellCommands } from '../shell.js';
import { isPlaceholderValue, isSecretName, redact } from '../rules/secret-util.js';

/**
 * A history `created_by` taken apart. Builders record it in a few shapes:
 * docker's classic builder `/bin/sh -c #(nop)  ENV A=b` for metadata steps and
 * `|2 A=1 B=2 /bin/sh -c cmd` for RUN steps with build args (buildah does the same), and
 * BuildKit `RUN |1 A=1 /bin/sh -c cmd # buildkit`, `ENV A=b`, `ADD src dst # buildkit`.
 */
export type ParsedStep = {
  /** Upper-case Dockerfile keyword (RUN for shell commands), or undefined when the shape is unknown. */
  readonly keyword: string | undefined;
  /** What follows the keyword (for RUN, the shell command). */
  readonly args: string;
  /** `NAME=value` build args recorded before a RUN command, in order. */
  readonly buildArgs: readonly (readonly [string, string])[];
};

const NOP = /^\/bin\/sh\s+-c\s+#\(nop\)\s*/;
const SHELL = /^\/bin\/(?:ba)?sh\s+-c\s+/;
const KEYWORD = /^([A-Z]+)(?:\s+|$)/;
const BUILD_ARGS = /^\|(\d{1,4})\s+/;
// Instructions a builder records by name; anything else is an unknown shape.
const KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/**
 * BuildKit ends its entries with `# buildkit`. Found from the last `#` rather than with a
 * regex anchored at the end, which would backtrack over long runs of spaces.
 */
function stripBuildkitSuffix(text: string): string {
  const i = text.lastIndexOf('#');
  return i >= 0 && /^#[ \t]*buildkit$/.test(text.slice(i)) ? text.slice(0, i).trimEnd() : text;
}

/** Splits a history `created_by` into keyword, arguments and recorded build args. */
export function parseCreatedBy(createdBy: string): ParsedStep {
  let text = stripBuildkitSuffix(createdBy.trim());
  let keyword: string | undefined;
  const nop = NOP.exec(text);
  if (nop) {
    text = text.slice(nop[0].length);
    const k = KEYWORD.exec(text);
    if (k?.[1] !== undefined && KEYWORDS.has(k[1]))
      return { keyword: k[1], args: text.slice(k[0].length), buildArgs: [] };
    return { keyword: undefined, args: text, buildArgs: [] };
  }
  const k = KEYWORD.exec(text);
  if (k?.[1] !== undefined && KEYWORDS.has(k[1])) {
    keyword = k[1];
    text = text.slice(k[0].length);
  }
  const buildArgs: [string, string][] = [];
  const count = BUILD_ARGS.exec(text);
  if (count && (keyword === undefined || keyword === 'RUN')) {
    text = text.slice(count[0].length);
    // Builders join the args with single spaces and do not quote them, so a value with a space
    // in it cannot be told apart from the next argument; each arg is one word here.
    for (let i = 0; i < Number(count[1]); i++) {
      const word = /^(\S+)\s*/.exec(text);
      if (!word?.[1]) break;
      text = text.slice(word[0].length);
      const eq = word[1].indexOf('=');
      buildArgs.push(eq < 0 ? [word[1], ''] : [word[1].slice(0, eq), word[1].slice(eq + 1)]);
    }
    keyword = 'RUN';
  }
  const shell = SHELL.exec(text);
  if (shell) return { keyword: 'RUN', args: text.slice(shell[0].length), buildArgs };
  return { keyword, args: text, buildArgs };
}

/**
 * `NAME=value` pairs of an ENV, ARG or LABEL instruction (also the legacy `ENV NAME value`
 * form), split like the shell splits words, quotes removed.
 */
export function parseAssignments(args: string): [string, string][] {
  const words = splitShellCommands(args).flat();
  const pairs = words.map((w) => {
    const eq = w.indexOf('=');
    return eq <= 0 ? undefined : ([w.slice(0, eq), w.slice(eq + 1)] as [string, string]);
  });
  if (pairs.length > 0 && pairs.every((p) => p !== undefined)) return pairs;
  const name = words[0];
  if (name !== undefined && !name.includes('=') && words.length > 1)
    return [[name, words.slice(1).join(' ')]];
  return pairs.filter((p) => p !== undefined);
}

/**
 * A printable description of the secret held by `name=value` (the secret engine's title and
 * redacted match, or the redacted value when only the name says it is a credential), or
 * undefined when it holds none. Never returns the raw value.
 */
export function describeSecret(name: string, value: string): string | undefined {
  const engine = scanText(value, { path: name })[0];
  if (engine !== undefined) return `${name} holds a ${engine.title.toLowerCase()} (${engine.redacted})`;
  if (isSecretName(name) && !isPlaceholderValue(value)) return `${name}=${redact(value)}`;
  return undefined;
}

/** Secrets the engine finds in free text (a shell command), as redacted descriptions. */
export function describeSecretsIn(text: string): string[] {
  return scanText(text, { path: 'created_by' }).map((f) => `${f.title.toLowerCase()} (${f.redacted})`);
}
