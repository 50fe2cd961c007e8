import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root (this file lives in src/testing). */
export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * `../shared/data` beside the checkout. When it is missing a test cannot run; under CI that
 * must be a failure, so this throws instead of letting the test skip.
 */
export function sharedDataDir(): string {
  const dir = path.resolve(repoRoot, '..', 'shared', 'data');
  if (!existsSync(dir)) {
    throw new Error(`shared test data not found at ${dir}; it must sit beside the checkout (../shared/data)`);
  }
  return dir;
}

export function sharedData(...parts: string[]): string {
  return path.join(sharedDataDir(), ...parts);
}

/**
 * The Debian 12 fixture (root filesystem and OCI layout with tags bookworm, bookworm-whiteout,
 * bookworm-opaque). `npm test` builds it before the tests run; a developer running vitest
 * directly gets it built here on first use (this needs Debian's mirror, like the test set-up).
 */
export function debianFixture(): { rootfs: string; layout: string } {
  const dir = path.join(repoRoot, '.cache', 'fixtures', 'debian12');
  if (!existsSync(path.join(dir, '.complete'))) {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'fixtures.mjs')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return { rootfs: path.join(dir, 'rootfs'), layout: path.join(dir, 'layout') };
}
