import { DockerfileParser } from 'dockerfile-ast';
import { truncateForMessage } from '../core/index.js';
import { DockerfileError } from './errors.js';
import type { DockerInstruction, DockerfileComment, DockerfileModel, Stage } from './types.js';

/** Dockerfiles larger than this are refused rather than parsed. */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/**
 * Substitutes `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alt}` from `vars`. Unknown
 * names become empty, as BuildKit does for FROM.
 */
export function substituteArgs(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (
      _m,
      braced: string | undefined,
      op: string | undefined,
      word: string | undefined,
      bare: string | undefined,
    ) => {
      const name = braced ?? bare ?? '';
      const value = vars.get(name);
      if (op === '-') return value === undefined || value === '' ? (word ?? '') : value;
      if (op === '+') return value === undefined || value === '' ? '' : (word ?? '');
      return value ?? '';
    },
  );
}

/**
 * Parses a Dockerfile into stages and instructions (dockerfile-ast handles continuations,
 * heredocs, escape directives). Global ARG defaults are substituted into FROM images.
 *
 * @throws DockerfileError `DOCKERFILE_TOO_LARGE`, `DOCKERFILE_NO_FROM`,
 *   `DOCKERFILE_BEFORE_FROM` (an instruction other than ARG before the first FROM),
 *   `DOCKERFILE_FROM_INVALID` (FROM without an image).
 */
export function parseDockerfile(text: string, path: string): DockerfileModel {
  if (text.length > MAX_DOCKERFILE_BYTES) {
    throw new DockerfileError(
      'DOCKERFILE_TOO_LARGE',
      `${path}: ${text.length} characters is more than the ${MAX_DOCKERFILE_BYTES} a Dockerfile may have`,
    );
  }
  const doc = DockerfileParser.parse(text);
  const instructions: DockerInstruction[] = [];
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  let current: { base: Omit<Stage, 'instructions'>; instructions: DockerInstruction[] } | undefined;
  const flush = (): void => {
    if (current !== undefined) stages.push({ ...current.base, instructions: current.instructions });
  };
  for (const ins of doc.getInstructions()) {
    const range = ins.getRange();
    const keyword = ins.getKeyword().toUpperCase();
    const line = range.start.line + 1;
    if (keyword === 'FROM') {
      flush();
      const parts = (ins.getArgumentsContent() ?? '')
        .trim()
        .split(/\s+/)
        .filter((p) => p !== '');
      const rawImage = parts.find((p) => !p.startsWith('--'));
      if (rawImage === undefined) {
        throw new DockerfileError('DOCKERFILE_FROM_INVALID', `${path}:${line}: FROM names no image`);
      }
      const imageAt = parts.indexOf(rawImage);
      const asWord = parts[imageAt + 1];
      const alias = asWord !== undefined && asWord.toUpperCase() === 'AS' ? parts[imageAt + 2] : undefined;
      const image = substituteArgs(rawImage, globalArgs);
      const lower = image.toLowerCase();
      const parentStage = stages.find((s) => s.alias !== undefined && s.alias.toLowerCase() === lower)?.index;
      const from = toInstruction(ins, keyword, stages.length);
      instructions.push(from);
      current = {
        base: {
          index: stages.length,
          rawImage,
          image,
          from,
          ...(alias === undefined ? {} : { alias }),
          ...(parentStage === undefined ? {} : { parentStage }),
        },
        instructions: [from],
      };
      continue;
    }
    const model = toInstruction(ins, keyword, current === undefined ? -1 : stages.length);
    instructions.push(model);
    if (current === undefined) {
      if (keyword !== 'ARG') {
        throw new DockerfileError(
          'DOCKERFILE_BEFORE_FROM',
          `${path}:${line}: ${truncateForMessage(keyword)} comes before the first FROM (only ARG may)`,
        );
      }
      for (const m of model.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
        const name = m[1] ?? '';
        const value = (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
        globalArgs.set(name, substituteArgs(value, globalArgs));
      }
    } else {
      current.instructions.push(model);
    }
  }
  flush();
  if (stages.length === 0) {
    throw new DockerfileError('DOCKERFILE_NO_FROM', `${path}: no FROM instruction`);
  }
  // A `# key=value` comment at the top is a parser directive to dockerfile-ast; keep those too,
  // so `# portcullis-ignore-file=...` on line 1 still counts.
  const comments: DockerfileComment[] = [
    ...doc.getDirectives().map((d) => {
      const line = d.getRange().start.line;
      // The directive's own name/value stop at spaces; read the comment from the source line.
      const source = text.split('\n', line + 1)[line] ?? '';
      return { line: line + 1, text: source.replace(/^\s*#\s*/, '').trimEnd() };
    }),
    ...doc.getComments().map((c) => ({ line: c.getRange().start.line + 1, text: c.getContent() })),
  ].sort((a, b) => a.line - b.line);
  return { path, stages, instructions, globalArgs, comments };
}

/** Like {@link parseDockerfile}, but returns `undefined` for input it cannot model. */
export function tryParseDockerfile(text: string, path: string): DockerfileModel | undefined {
  try {
    return parseDockerfile(text, path);
  } catch (e) {
    if (e instanceof DockerfileError) return undefined;
    throw e;
  }
}

type AstInstruction = ReturnType<ReturnType<typeof DockerfileParser.parse>['getInstructions']>[number];

function toInstruction(ins: AstInstruction, keyword: string, stage: number): DockerInstruction {
  const range = ins.getRange();
  // dockerfile-ast leaves `--flag=value` out of the argument content; keep them (COPY --from,
  // ADD --checksum, COPY --chmod) by reading them from the instruction's own text.
  const afterKeyword = ins.toString().slice(ins.getInstruction().length);
  const flags: string[] = [];
  for (const m of afterKeyword.matchAll(/\\?\r?\n|\s+|(--[A-Za-z-]+(?:=(?:"[^"]*"|\S*))?)|(\S+)/g)) {
    if (m[2] !== undefined) break;
    if (m[1] !== undefined) flags.push(m[1]);
  }
  const content = ins.getArgumentsContent() ?? '';
  return {
    keyword,
    args: keyword === 'RUN' || flags.length === 0 ? content : `${flags.join(' ')} ${content}`,
    raw: ins.getRawArgumentsContent() ?? '',
    line: range.start.line + 1,
    column: range.start.character + 1,
    endLine: range.end.line + 1,
    stage,
  };
}
