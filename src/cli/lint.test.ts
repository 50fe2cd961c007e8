import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../testing/cli.js';

let work: string;
const cli = (argv: string[]) => runCliCaptured(argv, work);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-cli-lint-'));
  await writeFile(
    path.join(work, 'Dockerfile'),
    [
      'FROM ubuntu:latest',
      'RUN curl -fsSL https://example.com/install.sh | sh',
      'EXPOSE 22',
      'CMD ["/app"]',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(work, 'good.Dockerfile'),
    [
      'FROM golang:1.22@sha256:' + 'b'.repeat(64) + ' AS build',
      'RUN go build -o /app .',
      'FROM gcr.io/distroless/static-debian12@sha256:' + 'a'.repeat(64),
      'COPY --from=build /app /app',
      'USER 65532',
      'ENTRYPOINT ["/app"]',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('portcullis lint', () => {
  it('lints ./Dockerfile by default, one line per finding with the fix', async () => {
    const r = await cli(['lint']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Dockerfile:1:1 medium PC-DF-001 /m);
    expect(r.stdout).toMatch(/^Dockerfile:2:\d+ high PC-DF-009 /m);
    expect(r.stdout).toMatch(/^Dockerfile:3:\d+ medium PC-DF-011 /m);
    expect(r.stdout).toMatch(/PC-DF-006/);
    expect(r.stdout).toMatch(/^ {4}fix: /m);
  });

  it('prints JSON and exits 1 with --fail-on high when a high finding is present', async () => {
    const r = await cli(['lint', 'Dockerfile', '--format', 'json', '--fail-on', 'high']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      schemaVersion: number;
      findings: { ruleId: string; line: number }[];
    };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.findings.map((f) => f.ruleId)).toContain('PC-DF-009');
  });

  it('passes a multi-stage, digest-pinned, non-root Dockerfile at --fail-on low', async () => {
    const r = await cli(['lint', 'good.Dockerfile', '--fail-on', 'low']);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    [['lint', 'missing.Dockerfile'], /cannot read missing.Dockerfile/],
    [['lint', '--format', 'xml'], /unknown --format "xml"/],
    [['lint', '--fail-on', 'severe'], /unknown --fail-on "severe"/],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
