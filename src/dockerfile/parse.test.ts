import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '../core/index.js';
import { DockerfileError } from './errors.js';
import { lintDockerfile } from './lint.js';
import { MAX_DOCKERFILE_BYTES, parseDockerfile, substituteArgs, tryParseDockerfile } from './parse.js';

describe('parseDockerfile', () => {
  it('models stages with resolved images, aliases, indexes and parent stages', () => {
    const model = parseDockerfile(
      [
        'ARG BASE=debian',
        'ARG TAG=12',
        'FROM --platform=$BUILDPLATFORM ${BASE}:${TAG} AS build',
        'RUN make',
        'FROM build as test',
        'FROM ${BASE}:${MISSING:-bookworm}-slim',
        'COPY --from=build /out /app',
      ].join('\n'),
      'Dockerfile',
    );
    expect(model.globalArgs).toEqual(
      new Map([
        ['BASE', 'debian'],
        ['TAG', '12'],
      ]),
    );
    expect(
      model.stages.map((s) => [s.index, s.rawImage, s.image, s.alias, s.parentStage, s.from.line]),
    ).toEqual([
      [0, '${BASE}:${TAG}', 'debian:12', 'build', undefined, 3],
      [1, 'build', 'build', 'test', 0, 5],
      [2, '${BASE}:${MISSING:-bookworm}-slim', 'debian:bookworm-slim', undefined, undefined, 6],
    ]);
    expect(model.stages[2]?.instructions.map((i) => i.keyword)).toEqual(['FROM', 'COPY']);
    expect(model.stages[2]?.instructions[1]?.args).toBe('--from=build /out /app');
    expect(model.instructions.map((i) => i.stage)).toEqual([-1, -1, 0, 0, 1, 2, 2]);
  });

  it('joins line continuations and keeps heredocs inside their instruction, with 1-based positions', () => {
    const model = parseDockerfile(
      'FROM alpine:3.20\n  RUN apk add \\\n    curl \\\n    git\nRUN <<EOF\nset -e\necho hi\nEOF\nUSER 1000\n',
      'x/Dockerfile',
    );
    const [, run, heredoc, user] = model.instructions;
    expect(run).toMatchObject({ keyword: 'RUN', line: 2, column: 3, endLine: 4 });
    expect(run?.args.replace(/\s+/g, ' ')).toBe('apk add curl git');
    expect(heredoc).toMatchObject({ keyword: 'RUN', line: 5 });
    expect(heredoc?.args).toContain('echo hi');
    expect(user).toMatchObject({ keyword: 'USER', line: 9, args: '1000' });
  });

  it('keeps comments with their lines', () => {
    const model = parseDockerfile('# syntax=docker/dockerfile:1\nFROM alpine:3.20\n# hello\nRUN true\n', 'D');
    expect(model.comments).toContainEqual({ line: 3, text: 'hello' });
  });

  it.each([
    ['', 'DOCKERFILE_NO_FROM', 'D: no FROM'],
    ['# only a comment\n', 'DOCKERFILE_NO_FROM', 'D: no FROM'],
    ['ARG X=1\nRUN echo\nFROM alpine:3.20\n', 'DOCKERFILE_BEFORE_FROM', 'D:2: RUN comes before'],
    ['FROM\n', 'DOCKERFILE_FROM_INVALID', 'D:1: FROM names no image'],
    ['FROM --platform=linux/amd64\n', 'DOCKERFILE_FROM_INVALID', 'D:1: FROM names no image'],
    ['FROM a\n' + 'x'.repeat(MAX_DOCKERFILE_BYTES), 'DOCKERFILE_TOO_LARGE', 'D: '],
  ])('rejects malformed input %# with a coded error naming file and line', (text, code, message) => {
    let caught: unknown;
    try {
      parseDockerfile(text, 'D');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DockerfileError);
    expect(isPortcullisError(caught)).toBe(true);
    expect(caught).toMatchObject({ code });
    expect((caught as DockerfileError).message.startsWith(message)).toBe(true);
    expect(tryParseDockerfile(text, 'D')).toBeUndefined();
  });

  it.each([
    'FROM alpine:3.20\nRUN <<EOF\nnever closed\n',
    'FROM alpine:3.20\nRUN echo \\',
    'FROM alpine:3.20\nCOPY --from= /a /b\nEXPOSE\nUSER\nENV\nARG\n',
    'FROM alpine:3.20\n\u0000\u0001 garbage ((( \nNOTANINSTRUCTION x\n',
    'FROM alpine:3.20\nRUN ["unterminated json\n',
    'FROM alpine:3.20\nRUN echo \'unterminated "quotes\n',
    '\uFEFFFROM alpine:3.20\r\nRUN true\r\n',
  ])('odd input %# yields findings, never a crash', (text) => {
    expect(() => lintDockerfile(text, 'D')).not.toThrow();
  });
});

describe('substituteArgs', () => {
  const vars = new Map([
    ['A', 'x'],
    ['E', ''],
  ]);
  it.each([
    ['$A', 'x'],
    ['${A}', 'x'],
    ['${A:-d}', 'x'],
    ['${E:-d}', 'd'],
    ['${U:-d}', 'd'],
    ['${A:+alt}', 'alt'],
    ['${U:+alt}', ''],
    ['img:${U}', 'img:'],
  ])('%s → %s', (text, want) => {
    expect(substituteArgs(text, vars)).toBe(want);
  });
});
