import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage, type Logger } from '../../core/index.js';
import {
  FilesystemBlobStore,
  SqliteMetadataStore,
  startRegistryServer,
  type RegistryServer,
} from '../../registry/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { parseListenAddress } from './admission-serve.js';

export const DEFAULT_DATA_DIR = '.portcullis';
export const DEFAULT_LISTEN = '127.0.0.1:5000';

export const serveHelp = `Usage: portcullis serve [--data-dir DIR] [--listen ADDR:PORT]

Runs the OCI registry (distribution spec v1.1): blobs on the filesystem and metadata in SQLite
under --data-dir. Push and pull with any OCI client (skopeo, buildah, docker, oras...) over
plain HTTP on loopback. SIGTERM or SIGINT stops it after in-flight requests finish; upload
sessions survive a restart.

Authentication is not implemented yet, so the registry only listens on loopback addresses.

Options:
  --data-dir DIR       where blobs, uploads and registry.db live (default ./${DEFAULT_DATA_DIR})
  --listen ADDR:PORT   address to listen on (default ${DEFAULT_LISTEN}; port 0 picks one)

Exit codes: 0 stopped by a signal, 2 invalid option, 7 cannot listen.`;

/** Whether a listen host is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(h) && h.startsWith('127.');
}

/** `portcullis serve`: the registry on embedded defaults, until the stop signal. */
export async function runServe(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      listen: { type: 'string', default: DEFAULT_LISTEN },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, serveHelp);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    throw new UsageError(`serve takes no arguments, got "${positionals[0]?.slice(0, 40) ?? ''}"`);
  }
  const listen = parseListenAddress(values.listen);
  if (!isLoopbackHost(listen.host)) {
    throw new UsageError(
      `refusing to listen on ${listen.host.slice(0, 60)}: authentication is not implemented yet, so the registry ` +
        'would be open to anyone who can reach it; use a loopback address such as 127.0.0.1',
    );
  }
  const dataDir = path.resolve(io.cwd, values['data-dir']);

  // Taken before anything starts: a SIGTERM right after the listening line must stop cleanly.
  const stop = io.stopSignal?.();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const metadata = SqliteMetadataStore.open(path.join(dataDir, 'registry.db'));
  let server: RegistryServer | undefined;
  try {
    try {
      server = await startRegistryServer({
        host: listen.host,
        port: listen.port,
        blobs: new FilesystemBlobStore(dataDir),
        metadata,
        logger,
      });
    } catch (err) {
      writeLine(
        io.stderr,
        `portcullis: cannot listen on ${values.listen.slice(0, 80)}: ${errorMessage(err)}`,
      );
      return ExitCode.network;
    }
    writeLine(io.stderr, `portcullis registry listening on ${server.url} (data in ${dataDir})`);
    if (stop === undefined)
      await new Promise<never>(() => undefined); // runs until the process ends
    else if (!stop.aborted) await once(stop, 'abort');
    writeLine(io.stderr, 'stopping: finishing in-flight requests');
    return ExitCode.ok;
  } finally {
    await server?.close();
    await metadata.close();
  }
}
