import { OciError } from './errors.js';
import { isImageManifestMediaType } from './mediatypes.js';
import type { Descriptor, ImageIndex, Platform } from './schema.js';

/** A requested platform: os/arch with an optional variant, as given to `--platform`. */
export type PlatformSpec = { readonly os: string; readonly architecture: string; readonly variant?: string };

const PLATFORM_RE = /^([a-z0-9_-]{1,32})\/([a-z0-9_-]{1,32})(?:\/([a-z0-9_.-]{1,32}))?$/;

/**
 * Parses `os/arch[/variant]` (for example `linux/arm64/v8`).
 * @throws OciError PLATFORM_INVALID naming the input.
 */
export function parsePlatform(input: string): PlatformSpec {
  const m = PLATFORM_RE.exec(input.trim().toLowerCase());
  if (!m?.[1] || !m[2]) {
    throw new OciError(
      'PLATFORM_INVALID',
      `invalid platform "${input.slice(0, 80)}": expected os/arch[/variant], for example linux/amd64 or linux/arm64/v8`,
    );
  }
  return normalizePlatform({ os: m[1], architecture: m[2], ...(m[3] ? { variant: m[3] } : {}) });
}

// containerd's platforms.Normalize: the aliases people type, mapped to what manifests say.
const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  x86: '386',
  i386: '386',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
};

export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  const os = p.os === 'macos' ? 'darwin' : p.os;
  let architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  let variant = p.variant;
  if (p.architecture === 'armhf') variant ??= 'v7';
  if (p.architecture === 'armel') variant ??= 'v6';
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && variant !== undefined && /^\d$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  architecture = architecture.toLowerCase();
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** The platform of this process, as an image index would name it. */
export function hostPlatform(): PlatformSpec {
  const arch: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
  };
  const architecture = arch[process.arch] ?? process.arch;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return normalizePlatform(
    architecture === 'arm' ? { os, architecture, variant: 'v7' } : { os, architecture },
  );
}

export function formatPlatform(p: PlatformSpec | Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

function matches(want: PlatformSpec, have: Platform): boolean {
  const h = normalizePlatform({
    os: have.os,
    architecture: have.architecture,
    ...(have.variant !== undefined ? { variant: have.variant } : {}),
  });
  if (h.os !== want.os || h.architecture !== want.architecture) return false;
  // No variant asked for: any variant of the architecture will do (the best one is picked below).
  return want.variant === undefined || want.variant === h.variant;
}

/**
 * Picks the manifest for `want` from an index. Attestation and other non-image entries
 * (platform unknown/unknown) are never picked. Among several matches without an explicit
 * variant the highest arm variant wins, mirroring containerd's ordering. An index whose
 * image entries carry no platform at all (some tools write those) yields its first image
 * entry; the caller must then check the platform in that image's config.
 *
 * @throws OciError PLATFORM_NOT_FOUND listing the platforms the index does offer.
 */
export function selectPlatformManifest(index: ImageIndex, want: PlatformSpec): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform !== undefined && matches(want, d.platform));
  const best = candidates.sort((a, b) =>
    (b.platform?.variant ?? '').localeCompare(a.platform?.variant ?? ''),
  )[0];
  if (best) return best;
  const unlabelled = index.manifests.find(
    (d) => d.platform === undefined && isImageManifestMediaType(d.mediaType),
  );
  if (unlabelled) return unlabelled;
  throw platformNotFound(
    want,
    index.manifests.map((d) => d.platform),
  );
}

/** True when an image config's os/architecture/variant satisfy `want`. */
export function configMatchesPlatform(
  want: PlatformSpec,
  config: { os?: string | undefined; architecture?: string | undefined; variant?: string | undefined },
): boolean {
  if (config.os === undefined || config.architecture === undefined) return true;
  return matches(want, {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant !== undefined ? { variant: config.variant } : {}),
  });
}

export function platformNotFound(
  want: PlatformSpec,
  offeredPlatforms: readonly (Platform | undefined)[],
): OciError {
  const offered = offeredPlatforms
    .map((p) => (p ? formatPlatform(p) : undefined))
    .filter((p): p is string => p !== undefined && p !== 'unknown/unknown');
  return new OciError(
    'PLATFORM_NOT_FOUND',
    `no manifest for platform ${formatPlatform(want)} in the index; it offers: ${offered.length ? offered.join(', ') : 'no platform-tagged images'} (use --platform to choose)`,
  );
}
