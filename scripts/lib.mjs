// Shared helpers for the project's own scripts (test, start, bench). Plain Node, no
// dependencies, because they run before `npm ci` has installed anything.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..');

/** Runs a command with inherited stdio; exits the script with its status when it fails. */
export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: repoRoot, ...options });
  if (r.error) {
    console.error(`${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** True when a shell check succeeds (for things that are not commands, such as modules). */
function checkPasses(check) {
  return spawnSync('sh', ['-c', check], { stdio: 'ignore' }).status === 0;
}

/** Installs npm dependencies from the lock file when node_modules is missing or stale. */
export function ensureNodeModules() {
  const marker = path.join(repoRoot, 'node_modules', '.package-lock.json');
  const lock = path.join(repoRoot, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error('Installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

/**
 * Installs the Debian packages whose check fails. Needs root (as CI and the development
 * machines run) or passwordless sudo.
 */
export function ensureDebianPackages(requirements) {
  const missing = requirements.filter((r) => !checkPasses(r.check));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((r) => r.package))];
  console.error(`Installing Debian packages: ${pkgs.join(' ')}`);
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [cmd, ...rest] = [...prefix, 'apt-get', ...args];
    run(cmd, rest, { env });
  };
  apt(['update', '-q']);
  apt(['install', '-y', '-q', '--no-install-recommends', ...pkgs]);
}

const command = (name, pkg = name) => ({ package: pkg, check: `command -v ${name}` });

/** What the test suite and benchmarks start or call, and the Debian package that provides it. */
export const TEST_PACKAGES = [
  command('docker-registry'),
  command('skopeo'),
  command('buildah'),
  command('umoci'),
  command('debootstrap'),
  command('htpasswd', 'apache2-utils'),
  command('openssl'),
  command('zstd'),
  command('gzip'),
  command('tar'),
  command('rpm'),
  command('rpmbuild', 'rpm'),
  command('go', 'golang-go'),
  command('objcopy', 'binutils'),
  command('db5.3_load', 'db5.3-util'),
  command('gpg'),
  command('jar', 'openjdk-17-jdk-headless'),
  command('rustc'),
  { package: 'python3-packaging', check: '/usr/bin/python3 -c "import packaging.version"' },
  { package: 'libdpkg-perl', check: 'perl -MDpkg::Version -e 1' },
];

export function readJson(p) {
  return JSON.parse(readFileSync(p, 'utf8'));
}
