import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { durationSeconds, loadPolicyFile } from '../../policy/index.js';
import {
  collectGarbage,
  FilesystemBlobStore,
  SqliteMetadataStore,
  type GcReport,
} from '../../registry/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import {
  DEFAULT_DATA_DIR,
  FORMAT_OPTION,
  expectArgs,
  openAccountStore,
  parseListFormat,
  REGISTRY_DB_FILE,
  splitSubcommand,
} from '../registry-data.js';

/** The grace period when none is given (the policy's `server.gc.gracePeriod` default too). */
export const DEFAULT_GC_GRACE_PERIOD = '2h';

export const registryHelp = `Usage: portcullis registry gc [--data-dir DIR] [--grace-period 2h] [--dry-run]
                            [--config FILE] [--format text|json]

gc: garbage collection of the registry under --data-dir (mark and sweep), safe while the server
runs and clients push. Every manifest recorded in ${REGISTRY_DB_FILE} is kept, tagged or not (signatures,
SBOMs and other referrers are untagged), with every blob it references (config, layers, child
manifests). Blobs referenced by none and older than the grace period are removed with their
links in every repository; upload sessions idle longer than the grace period (abandoned, or cut
off by a crash) are removed too. Within the grace period a blob whose manifest has not arrived
yet is safe; a manifest pushed while gc runs either keeps its blobs or is refused (the client
pushes them again), never stored with blobs missing.

Options:
  --data-dir DIR         the registry's data directory (default ./${DEFAULT_DATA_DIR})
  --grace-period DUR     leave blobs and uploads younger than this: 30s, 15m, 2h, 7d (default ${DEFAULT_GC_GRACE_PERIOD})
  --dry-run              list what would be removed and remove nothing
  --config FILE          the policy file serve runs with: its server.dataDir and server.gc.gracePeriod
                         apply unless --data-dir or --grace-period are given
  --format text|json     output format (default text)

Exit codes: 0 done, 2 invalid arguments or config file, 3 no registry data in the data directory
(or no config file), 5 a recorded manifest cannot be read (nothing was removed), 70 storage failure.`;

const SUBCOMMANDS = ['gc'] as const;

/** `portcullis registry`: maintenance of the registry's data (gc). */
export async function runRegistry(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const split = splitSubcommand('registry', argv, SUBCOMMANDS, registryHelp, io);
  if (typeof split === 'number') return split;
  const [, rest] = split;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...FORMAT_OPTION,
      'data-dir': { type: 'string' },
      'grace-period': { type: 'string' },
      config: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, registryHelp);
    return ExitCode.ok;
  }
  expectArgs(
    positionals,
    0,
    'registry gc [--data-dir DIR] [--grace-period 2h] [--dry-run] [--config FILE] [--format text|json]',
  );
  const format = parseListFormat(values.format);
  // Flags win over the config file's server section, which wins over the defaults (as in serve).
  const configFile = values.config === undefined ? undefined : path.resolve(io.cwd, values.config);
  const server = configFile === undefined ? undefined : (await loadPolicyFile(configFile)).server;
  const graceText = values['grace-period'] ?? server?.gc?.gracePeriod ?? DEFAULT_GC_GRACE_PERIOD;
  const grace = durationSeconds(graceText);
  if (grace === undefined) {
    throw new UsageError(
      `--grace-period must be a duration such as 30s, 15m, 2h or 7d, got "${graceText.slice(0, 20)}"`,
    );
  }
  const dataDir =
    values['data-dir'] !== undefined
      ? path.resolve(io.cwd, values['data-dir'])
      : configFile !== undefined && server?.dataDir !== undefined
        ? path.resolve(path.dirname(configFile), server.dataDir)
        : path.resolve(io.cwd, DEFAULT_DATA_DIR);
  // Refuses (NOT_FOUND) a directory without registry.db rather than creating an empty registry.
  (await openAccountStore(dataDir, { create: false })).close();
  const metadata = SqliteMetadataStore.open(path.join(dataDir, REGISTRY_DB_FILE));
  let report: GcReport;
  try {
    report = await collectGarbage(new FilesystemBlobStore(dataDir), metadata, {
      gracePeriodSeconds: grace,
      dryRun: values['dry-run'],
      logger,
    });
  } finally {
    await metadata.close();
  }
  if (format === 'json') writeLine(io.stdout, JSON.stringify(report, undefined, 2));
  else printReport(io, report, graceText);
  return ExitCode.ok;
}

function printReport(io: CliIO, r: GcReport, grace: string): void {
  const verb = r.dryRun ? 'would remove' : 'removed';
  for (const b of r.blobs) {
    writeLine(io.stdout, `${verb} blob ${b.digest} ${b.stored ? `${b.size} bytes` : '(link only)'}`);
  }
  for (const u of r.uploads) {
    const where = u.repository === undefined ? 'leftover' : `in ${u.repository}`;
    writeLine(io.stdout, `${verb} upload ${u.id} ${where} ${u.size} bytes`);
  }
  writeLine(
    io.stdout,
    `${r.manifests} manifests keep ${r.marked} blobs; ${verb} ${r.blobs.length} blobs (${r.links} links) and ` +
      `${r.uploads.length} uploads, ${r.bytesFreed} bytes${r.dryRun ? ' (dry run)' : ' freed'}; ` +
      `kept ${r.kept} unreferenced blobs younger than ${grace} or in use meanwhile`,
  );
}
