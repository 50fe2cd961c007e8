import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { requireCommand } from './registry.js';

/** Runs a command without a shell; rejects with its stderr. Arguments must never hold secrets. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(options.env ? { env: options.env } : {}) },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

export type TestImageSpec = {
  readonly tag: string;
  /** Files to put into the single layer: path inside the image → content. */
  readonly files: Readonly<Record<string, string | Buffer>>;
  /** `architecture` in the config (default: umoci's, the host's). */
  readonly architecture?: string;
  readonly os?: string;
};

type LayoutIndex = {
  schemaVersion: number;
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
};

async function readLayoutIndex(layout: string): Promise<LayoutIndex> {
  return JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as LayoutIndex;
}

/** The manifest descriptor a layout tag points to. */
export async function layoutDescriptor(
  layout: string,
  tag: string,
): Promise<{ mediaType: string; digest: string; size: number }> {
  const index = await readLayoutIndex(layout);
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (d === undefined) throw new Error(`tag ${tag} not in ${layout}`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** Reads a blob of an OCI layout. */
export function readLayoutBlob(layout: string, digest: string): Promise<Buffer> {
  const [alg, hex] = digest.split(':');
  return readFile(path.join(layout, 'blobs', alg ?? 'sha256', hex ?? ''));
}

/**
 * Builds single-layer images with umoci into an OCI layout (created when missing):
 * `umoci new`, unpack rootless, write the files, repack, set the platform.
 */
export async function buildTestImages(
  layout: string,
  images: readonly TestImageSpec[],
  workDir: string,
): Promise<void> {
  requireCommand('umoci', 'umoci');
  try {
    await readLayoutIndex(layout);
  } catch {
    await runCommand('umoci', ['init', '--layout', layout]);
  }
  for (const img of images) {
    const image = `${layout}:${img.tag}`;
    await runCommand('umoci', ['new', '--image', image]);
    const bundle = path.join(workDir, `bundle-${img.tag}`);
    await rm(bundle, { recursive: true, force: true });
    await runCommand('umoci', ['unpack', '--rootless', '--image', image, bundle]);
    for (const [file, content] of Object.entries(img.files)) {
      const target = path.join(bundle, 'rootfs', file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await runCommand('umoci', ['repack', '--image', image, bundle]);
    await rm(bundle, { recursive: true, force: true });
    const platform = [
      ...(img.architecture !== undefined ? ['--architecture', img.architecture] : []),
      ...(img.os !== undefined ? ['--os', img.os] : []),
    ];
    if (platform.length > 0)
      await runCommand('umoci', ['config', '--no-history', '--image', image, ...platform]);
  }
}

/**
 * Adds an image index to a layout under `tag`, pointing at existing tags with their platforms
 * (umoci makes single-platform images; skopeo copies the index with `--all`).
 */
export async function addIndexToLayout(
  layout: string,
  tag: string,
  entries: readonly {
    readonly tag: string;
    readonly platform: { readonly os: string; readonly architecture: string; readonly variant?: string };
  }[],
): Promise<{ digest: string; size: number }> {
  const manifests = [];
  for (const e of entries) {
    const d = await layoutDescriptor(layout, e.tag);
    manifests.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, platform: e.platform });
  }
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(layout, 'blobs', 'sha256', hex), bytes);
  const index = await readLayoutIndex(layout);
  index.manifests = index.manifests.filter(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag,
  );
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: `sha256:${hex}`,
    size: bytes.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  await writeFile(path.join(layout, 'index.json'), JSON.stringify(index));
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Writes a Docker-style auth file for skopeo's `--authfile`/`--dest-authfile`, so that
 * credentials reach skopeo through a 0600 file and never through its command line.
 */
export async function writeAuthFile(
  file: string,
  registry: string,
  username: string,
  password: string,
): Promise<void> {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  await writeFile(file, JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
}

/** `skopeo copy` from an OCI layout tag to a registry (plain HTTP, loopback). */
export async function pushLayoutTag(
  layout: string,
  tag: string,
  dest: string,
  opts: { readonly all?: boolean; readonly authFile?: string } = {},
): Promise<void> {
  requireCommand('skopeo', 'skopeo');
  await runCommand('skopeo', [
    'copy',
    '-q',
    '--dest-tls-verify=false',
    ...(opts.all === true ? ['--all'] : []),
    ...(opts.authFile !== undefined ? ['--dest-authfile', opts.authFile] : []),
    `oci:${layout}:${tag}`,
    `docker://${dest}`,
  ]);
}
