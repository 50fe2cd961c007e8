import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../types.js';
import { imageInventoryFile, loadImageInventory, storeImageInventory } from './image-inventory.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-image-inventory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const inventory: Inventory = {
  os: {
    family: 'debian',
    version: '12',
    codename: 'bookworm',
    prettyName: undefined,
    source: 'etc/os-release',
    distroless: false,
  },
  packages: [],
  gaps: [{ analyzer: 'rpm', path: 'var/lib/rpm/Packages', reason: 'damaged' }],
  warnings: ['w'],
};

describe('image inventory cache', () => {
  it('is keyed by the whole layer chain and the analyzers key', () => {
    const a = imageInventoryFile(dir, ['sha256:a', 'sha256:b'], 'k');
    expect(imageInventoryFile(dir, ['sha256:a', 'sha256:b'], 'k')).toBe(a);
    expect(imageInventoryFile(dir, ['sha256:a'], 'k')).not.toBe(a);
    expect(imageInventoryFile(dir, ['sha256:a', 'sha256:b'], 'k2')).not.toBe(a);
  });

  it('gives back what was stored, and nothing for a damaged file (which it removes)', async () => {
    const file = imageInventoryFile(dir, ['sha256:a'], 'k');
    expect(await loadImageInventory(file)).toBeUndefined();
    await storeImageInventory(file, inventory);
    expect(await loadImageInventory(file)).toEqual(JSON.parse(JSON.stringify(inventory)));
    await writeFile(file, 'not-a-checksum\n{"packages":[]}');
    expect(await loadImageInventory(file)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });
});
