import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/index.js';
import { defaultDbPath, importFeeds, openVulnDb, updateDatabase } from '../../vulndb/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';

// The ecosystems `db update` fetches unless told otherwise: the OS distributions and language
// ecosystems the inventory knows, as the OSV bucket names them.
const DEFAULT_ECOSYSTEMS = [
  'Alpine',
  'Debian',
  'Ubuntu',
  'Red Hat',
  'Rocky Linux',
  'AlmaLinux',
  'SUSE',
  'openSUSE',
  'Mariner',
  'npm',
  'PyPI',
  'Go',
  'Maven',
  'crates.io',
  'RubyGems',
  'Packagist',
  'NuGet',
];

export const dbHelp = `Usage: portcullis db <import|update|status> [options]

  db import PATH...        import OSV records (JSON/YAML files, directories, all.zip, .tar.gz),
                           Alpine secdb files or directories, Debian DSA/DLA lists
  db update [--source URL] [--ecosystem NAME]...
                           download OSV all.zip per ecosystem from URL (default OSV's bucket;
                           any mirror for air-gapped sites); the old database stays usable
                           until the new one is complete
  db status [--format table|json]
                           ecosystems, record counts, sources, last update, schema version

Options:
  --db PATH   database file (default $PORTCULLIS_DB, else ~/.cache/portcullis/db/portcullis.db)`;

export async function runDb(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      source: { type: 'string' },
      ecosystem: { type: 'string', multiple: true },
      format: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help === true) {
    writeLine(io.stdout, dbHelp);
    return sub === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const dbPath = values.db === undefined ? defaultDbPath(io.env) : path.resolve(io.cwd, values.db);
  switch (sub) {
    case 'import': {
      if (positionals.length === 0) throw new UsageError('db import needs at least one PATH');
      const db = openVulnDb(dbPath);
      try {
        const reports = await importFeeds(
          db,
          positionals.map((p) => path.resolve(io.cwd, p)),
          { logger },
        );
        for (const r of reports) {
          writeLine(
            io.stdout,
            `${r.kind.padEnd(12)} ${String(r.imported).padStart(7)} imported ${String(r.skipped).padStart(7)} unchanged ${String(r.invalid).padStart(5)} invalid  ${r.path}`,
          );
          for (const w of r.warnings.slice(0, 20)) logger.warn(`${r.path}: ${w}`);
        }
      } finally {
        db.close();
      }
      writeLine(io.stdout, `database: ${dbPath}`);
      return ExitCode.ok;
    }
    case 'update': {
      if (positionals.length > 0) throw new UsageError('db update takes no positional arguments');
      const progress = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
      const result = await updateDatabase({
        dbPath,
        ...(values.source === undefined ? {} : { baseUrl: values.source }),
        ecosystems: values.ecosystem ?? DEFAULT_ECOSYSTEMS,
        logger,
        ...(progress.isTTY === true
          ? {
              onProgress: (p) => {
                const total = p.totalBytes === undefined ? '' : `/${(p.totalBytes / 1048576).toFixed(1)}`;
                progress.write(
                  `\r[${p.index + 1}/${p.count}] ${p.ecosystem}: ${p.phase} ${(p.receivedBytes / 1048576).toFixed(1)}${total} MiB   `,
                );
              },
            }
          : {}),
      });
      if (progress.isTTY === true) progress.write('\n');
      for (const e of result.ecosystems) writeLine(io.stdout, JSON.stringify(e));
      writeLine(io.stdout, result.replaced ? `database updated: ${dbPath}` : `database unchanged: ${dbPath}`);
      return ExitCode.ok;
    }
    case 'status': {
      const db = openVulnDb(dbPath, { readonly: true });
      try {
        const status = db.status();
        if (values.format === 'json') {
          io.stdout.write(`${JSON.stringify(status, undefined, 2)}\n`);
        } else {
          writeLine(
            io.stdout,
            `database:       ${status.path} (${(status.sizeBytes / 1048576).toFixed(1)} MiB)`,
          );
          writeLine(io.stdout, `schema version: ${status.schemaVersion}`);
          writeLine(io.stdout, `last update:    ${status.lastUpdate ?? 'never'}`);
          writeLine(io.stdout, `records:        ${status.records}`);
          writeLine(io.stdout, 'ecosystems:');
          for (const e of status.ecosystems) writeLine(io.stdout, `  ${e.ecosystem.padEnd(24)} ${e.records}`);
          writeLine(io.stdout, 'sources:');
          for (const s of status.sources) writeLine(io.stdout, `  ${s.name}  ${s.kind}  ${s.location}`);
        }
      } finally {
        db.close();
      }
      return ExitCode.ok;
    }
    default:
      throw new UsageError(`unknown db subcommand "${sub.slice(0, 40)}": expected import, update or status`);
  }
}
