import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { describeImage, type ImageDescription } from '../../oci/index.js';
import { ExitCode } from '../exit-codes.js';
import { imageTargetHelp, imageTargetOptions, openTarget } from '../image-target.js';
import { UsageError, writeLine, type CliIO } from '../io.js';

export const inspectHelp = `Usage: portcullis inspect <target> [--format table|json] [image options]

Shows what an image is: resolved reference and digest, media type, platform, config (user,
entrypoint, cmd, env with secret-looking values redacted, labels) and layers (digest, size,
diffID, the history step that created each).

${imageTargetHelp}`;

export async function runInspect(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...imageTargetOptions,
      format: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, inspectHelp);
    return ExitCode.ok;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError(
      `inspect takes exactly one target, got ${positionals.length}; see portcullis inspect --help`,
    );
  }
  if (values.format !== 'table' && values.format !== 'json') {
    throw new UsageError(`unknown --format "${values.format.slice(0, 40)}": expected table or json`);
  }
  const opened = await openTarget(positionals[0], values, io, logger);
  try {
    const description = describeImage(opened.image);
    io.stdout.write(
      values.format === 'json' ? `${JSON.stringify(description, undefined, 2)}\n` : renderTable(description),
    );
  } finally {
    await opened.close();
  }
  return ExitCode.ok;
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i] ?? ''}`;
}

function shortDigest(d: string): string {
  return d.length > 19 ? `${d.slice(0, 19)}…` : d;
}

function oneLine(s: string | undefined, max = 70): string {
  if (s === undefined || s === '') return '-';
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The human-readable view; JSON carries the same content in full. */
export function renderTable(d: ImageDescription): string {
  const out: string[] = [];
  const kv = (k: string, v: string | undefined) => out.push(`${`${k}:`.padEnd(14)}${v ?? '-'}`);
  if (d.kind === 'rootfs') {
    kv('Reference', d.reference);
    kv('Source', 'rootfs (a plain directory: no manifest, config or layers)');
    return `${out.join('\n')}\n`;
  }
  kv('Reference', d.reference);
  kv('Digest', d.digest ?? '(none: this archive format stores no manifest)');
  if (d.indexDigest) kv('Index', d.indexDigest);
  kv('Media type', d.mediaType);
  kv('Platform', d.platform);
  kv('Created', d.created);
  kv('Config', d.config.digest);
  kv('User', d.config.user ?? '(root: no user set)');
  kv('Entrypoint', d.config.entrypoint ? JSON.stringify(d.config.entrypoint) : undefined);
  kv('Cmd', d.config.cmd ? JSON.stringify(d.config.cmd) : undefined);
  if (d.config.workingDir) kv('WorkingDir', d.config.workingDir);
  if (d.config.exposedPorts.length) kv('Ports', d.config.exposedPorts.join(', '));
  out.push('Env:');
  for (const e of d.config.env) out.push(`  ${e}`);
  const labels = Object.entries(d.config.labels);
  if (labels.length) {
    out.push('Labels:');
    for (const [k, v] of labels) out.push(`  ${k}=${oneLine(v, 100)}`);
  }
  if (d.config.redactedValues > 0) out.push(`(${d.config.redactedValues} secret-looking value(s) redacted)`);
  out.push(`Layers: ${d.layers.length}, ${formatBytes(d.totalSize)}`);
  out.push(
    `  ${'#'.padEnd(3)} ${'DIGEST'.padEnd(21)} ${'SIZE'.padStart(10)}  ${'DIFFID'.padEnd(21)} CREATED BY`,
  );
  for (const l of d.layers) {
    out.push(
      `  ${String(l.index).padEnd(3)} ${shortDigest(l.digest).padEnd(21)} ${formatBytes(l.size).padStart(10)}  ${shortDigest(l.diffID).padEnd(21)} ${oneLine(l.createdBy)}`,
    );
  }
  return `${out.join('\n')}\n`;
}
