import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic, type Logger } from '../../core/index.js';
import { buildInventory } from '../../inventory/index.js';
import { imageSubject, toCycloneDx, toSpdx } from '../../sbom/index.js';
import { ExitCode } from '../exit-codes.js';
import { imageTargetHelp, imageTargetOptions, openTarget } from '../image-target.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { toolInfo } from '../tool.js';
import { parseRegistryImage } from '../registry-client.js';
import { attestToRegistry, checkKeyFileFlag, readSigningKey, replayablePasswordIo } from './attest.js';

export const sbomHelp = `Usage: portcullis sbom <target> [--format cyclonedx|spdx] [--output FILE] [image options]

Lists what is installed in an image (OS packages: dpkg, apk, rpm; language packages: npm,
Python, Go and Rust binaries, Java archives, Cargo.lock, gems, Composer, .NET) and writes it as
a CycloneDX 1.6 JSON (default) or SPDX 2.3 JSON document, with the image as the root component.
Anything that could not be read is reported on stderr, never silently left out.

Options:
  --format cyclonedx|spdx   document format (default cyclonedx)
  --output FILE             write to FILE (atomically) instead of standard output
  --attest --key KEY        also sign the document and attach it to the image in the registry
                            as a cosign attestation (type cyclonedx or spdxjson; registry
                            targets only; key password as for portcullis attest)

${imageTargetHelp}`;

export async function runSbom(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...imageTargetOptions,
      format: { type: 'string', default: 'cyclonedx' },
      output: { type: 'string', short: 'o' },
      attest: { type: 'boolean', default: false },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, sbomHelp);
    return ExitCode.ok;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError(
      `sbom takes exactly one target, got ${positionals.length}; see portcullis sbom --help`,
    );
  }
  const format = values.format;
  if (format !== 'cyclonedx' && format !== 'spdx') {
    throw new UsageError(`unknown --format "${format.slice(0, 40)}": expected cyclonedx or spdx`);
  }
  // With --attest, everything that can fail before the work is checked first: the target must
  // be in a registry (that is where the attestation goes), and the key must open.
  const attest = values.attest
    ? {
        ref: parseRegistryImage(positionals[0], 'sbom --attest'),
        key: await readSigningKey(checkKeyFileFlag(values.key, 'sbom --attest'), io),
      }
    : undefined;
  if (attest === undefined && values.key !== undefined) throw new UsageError('--key is for --attest');
  const ioFor = await replayablePasswordIo(values, io);
  const opened = await openTarget(positionals[0], values, ioFor(), logger);
  let text: string;
  let attestedDigest: string | undefined;
  try {
    const inventory = await buildInventory(opened.image, {
      logger,
      layerCache: opened.layerCache,
      cacheKey: `portcullis ${toolInfo().version}`,
    });
    for (const gap of inventory.gaps) logger.warn(`${gap.analyzer}: ${gap.path}: ${gap.reason}`);
    const input = { image: imageSubject(opened.image), inventory, tool: toolInfo() };
    // The digest the reference named when read: a tag moved since does not get this SBOM.
    attestedDigest = input.image.indexDigest ?? input.image.digest;
    text = `${JSON.stringify(format === 'cyclonedx' ? toCycloneDx(input) : toSpdx(input), undefined, 2)}\n`;
  } finally {
    await opened.close();
  }
  if (values.output === undefined) {
    io.stdout.write(text);
  } else {
    await writeFileAtomic(path.resolve(io.cwd, values.output), text);
  }
  if (attest !== undefined) {
    if (attestedDigest === undefined)
      throw new UsageError(`${positionals[0]} has no manifest digest to attest`);
    await attestToRegistry(
      {
        ...attest,
        type: format === 'cyclonedx' ? 'cyclonedx' : 'spdxjson',
        predicate: Buffer.from(text, 'utf8'),
        imageDigest: attestedDigest,
      },
      values,
      ioFor(),
      logger,
    );
  }
  return ExitCode.ok;
}
