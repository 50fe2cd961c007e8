// Builds the real-image fixtures the integration tests and benchmarks read, once, into
// .cache/fixtures (reused by later runs). This is part of the test command's set-up, so it is
// the only step that reaches Debian's mirror; tests themselves stay offline.
//
//   debian12/rootfs   debootstrap --variant=minbase bookworm (the reference filesystem)
//   debian12/layout   OCI layout made with umoci:
//     bookworm            one layer: the root filesystem above
//     bookworm-whiteout   + a layer from `umoci repack` after deleting etc/issue.net and usr/share/doc/apt
//     bookworm-opaque     + a layer that makes etc/apt/apt.conf.d opaque and adds one file there
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, run } from './lib.mjs';

export const fixturesDir = path.join(repoRoot, '.cache', 'fixtures');
const FIXTURE_VERSION = 'debian12-v1';

function sh(script, cwd) {
  run('sh', ['-euc', script], { cwd });
}

export function ensureDebianFixture() {
  const dest = path.join(fixturesDir, 'debian12');
  const stamp = path.join(dest, '.complete');
  if (existsSync(stamp)) return dest;
  const mirror = process.env.PORTCULLIS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  const work = path.join(fixturesDir, `.debian12-build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  console.error(
    `Building the Debian 12 image fixture in ${work} (debootstrap from ${mirror}, about a minute)…`,
  );
  const layout = path.join(work, 'layout');
  const bundle = path.join(work, 'bundle');
  sh(
    `umoci init --layout ${layout} && umoci new --image ${layout}:empty && umoci unpack --image ${layout}:empty ${bundle}`,
  );
  const r = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', path.join(bundle, 'rootfs'), mirror], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) {
    console.error(`debootstrap failed (exit ${r.status}); is Debian's mirror reachable?`);
    process.exit(1);
  }
  // Fixed config so the image looks like a real base image.
  sh(`umoci repack --image ${layout}:bookworm ${bundle}`);
  sh(
    `umoci config --image ${layout}:bookworm --config.cmd bash --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.label org.opencontainers.image.title=debian-minbase`,
  );
  // Keep a pristine copy of the root filesystem to compare against.
  renameSync(path.join(bundle, 'rootfs'), path.join(work, 'rootfs'));
  rmSync(bundle, { recursive: true, force: true });

  const bundle2 = path.join(work, 'bundle2');
  sh(`umoci unpack --image ${layout}:bookworm ${bundle2}`);
  rmSync(path.join(bundle2, 'rootfs', 'etc', 'issue.net'));
  rmSync(path.join(bundle2, 'rootfs', 'usr', 'share', 'doc', 'apt'), { recursive: true });
  sh(`umoci repack --image ${layout}:bookworm-whiteout ${bundle2}`);
  rmSync(bundle2, { recursive: true, force: true });

  // umoci repack never writes opaque markers, so this layer is assembled with tar directly.
  const opq = path.join(work, 'opaque-layer');
  mkdirSync(path.join(opq, 'etc', 'apt', 'apt.conf.d'), { recursive: true });
  writeFileSync(path.join(opq, 'etc', 'apt', 'apt.conf.d', '.wh..wh..opq'), '');
  writeFileSync(
    path.join(opq, 'etc', 'apt', 'apt.conf.d', '99portcullis'),
    'APT::Install-Recommends "false";\n',
  );
  sh(`tar --numeric-owner --owner=0 --group=0 -cf ${work}/opaque.tar -C ${opq} etc`);
  sh(
    `umoci raw add-layer --image ${layout}:bookworm-whiteout --tag bookworm-opaque --history.created_by 'opaque etc/apt/apt.conf.d' ${work}/opaque.tar`,
  );
  rmSync(opq, { recursive: true, force: true });
  rmSync(path.join(work, 'opaque.tar'));
  writeFileSync(path.join(work, '.complete'), `${FIXTURE_VERSION}\n`);
  rmSync(dest, { recursive: true, force: true });
  renameSync(work, dest);
  return dest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(ensureDebianFixture());
}
