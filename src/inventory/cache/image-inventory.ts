// The whole inventory of an image, kept beside the layer cache and keyed by the image's layer
// chain. The layer cache already spares re-reading layers; this spares re-running the
// analyzers too, so a re-scan after a database update costs a file read, not a pass over the image.
import { createHash } from 'node:crypto';
import { readFile, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../core/index.js';
import type { Inventory } from '../types.js';

const FORMAT = 1;

/** Where the inventory of the layer chain `diffIDs` under `key` is kept. */
export function imageInventoryFile(dir: string, diffIDs: readonly string[], key: string): string {
  const name = createHash('sha256')
    .update(`${FORMAT}\0${key}\0${diffIDs.join('\0')}`)
    .digest('hex');
  return path.join(dir, `inventory-${name}.json`);
}

/** The cached inventory, or undefined when absent or damaged (a damaged file is removed). Never throws. */
export async function loadImageInventory(file: string): Promise<Inventory | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  if (nl < 0 || text.slice(0, nl) !== createHash('sha256').update(body).digest('hex')) {
    await rm(file, { force: true }).catch(() => undefined);
    return undefined;
  }
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
  return JSON.parse(body) as Inventory;
}

/** Stores an inventory atomically: a checksum line, then the JSON. */
export async function storeImageInventory(file: string, inventory: Inventory): Promise<void> {
  const body = JSON.stringify(inventory);
  await writeFileAtomic(file, `${createHash('sha256').update(body).digest('hex')}\n${body}`);
}
