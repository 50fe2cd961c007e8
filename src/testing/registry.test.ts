import { access, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireCommand, startRegistry } from './registry.js';

function status(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    http
      .get(new URL('/v2/', url), { agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', (err: NodeJS.ErrnoException) => {
        resolve(err.code ?? 'error');
      });
  });
}

describe('startRegistry', () => {
  it('runs a registry on a loopback port and removes everything when stopped', async () => {
    const registry = await startRegistry();
    let stopped = false;
    try {
      expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await status(registry.url)).toBe(200);
      // The storage directory appears with the first push; its parent holds config and htpasswd.
      const dir = path.dirname(registry.dataDir);
      await access(path.join(dir, 'config.yml'));
      await registry.stop();
      stopped = true;
      expect(await status(registry.url)).toBe('ECONNREFUSED');
      await expect(access(dir)).rejects.toThrow();
    } finally {
      if (!stopped) await registry.stop();
    }
  });

  it('asks for credentials in htpasswd mode and keeps the password off the command line', async () => {
    const registry = await startRegistry({ auth: 'htpasswd' });
    try {
      expect(await status(registry.url)).toBe(401);
      expect(registry.password).toBeDefined();
      const argv = (await readFile(`/proc/${registry.pid}/cmdline`)).toString('utf8');
      expect(argv).not.toContain(registry.password ?? '');
    } finally {
      await registry.stop();
    }
  });

  it('says which Debian package provides a missing command', () => {
    expect(() => {
      requireCommand('portcullis-no-such-command', 'some-package');
    }).toThrow(/install the Debian package some-package/);
  });
});
