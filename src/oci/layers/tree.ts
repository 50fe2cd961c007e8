import { normalizeImagePath, type Digest } from '../../core/index.js';
import type { FileEntry, FileTree } from './types.js';

/**
 * Where a regular file's bytes live and, once read, the bytes. Hard links share the object of
 * their target, so content fetched for either serves both.
 */
export type ContentRef = {
  content: Buffer | undefined;
  /** What the `summarize` reducer returned for these bytes; undefined when none ran. */
  summary: unknown;
  readonly size: number;
  /** Position of the layer in the image (-1 for a rootfs directory). */
  readonly layer: number;
  /** Number of the tar entry within that layer (-1 for a rootfs directory). */
  readonly ordinal: number;
  /** Path the bytes were stored under (the tar entry, or the file below the rootfs). */
  readonly sourcePath: string;
};

/** The layer an operation comes from; `position` orders layers for whiteout decisions. */
export type LayerInfo = {
  readonly position: number;
  readonly index: number;
  readonly diffID: Digest | undefined;
  readonly createdBy: string | undefined;
};

export type Node = {
  entry: FileEntry;
  /** Present exactly for directories. */
  children: Map<string, Node> | undefined;
  data: ContentRef | undefined;
  /** Layer position that wrote this node. */
  layer: number;
  /** Newest layer position that wrote this node or anything below it. */
  subtree: number;
  wanted: boolean;
};

type DirNode = Node & { children: Map<string, Node> };

export const ROOTFS_LAYER: LayerInfo = { position: -1, index: -1, diffID: undefined, createdBy: undefined };

function dirEntry(path: string, layer: LayerInfo): FileEntry {
  return {
    path,
    type: 'dir',
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: undefined,
    layerIndex: layer.index,
    diffID: layer.diffID,
    createdBy: layer.createdBy,
  };
}

function dirNode(entry: FileEntry, layer: number): DirNode {
  return { entry, children: new Map(), data: undefined, layer, subtree: layer, wanted: false };
}

/**
 * Whether `node` survives whiteouts issued by layer `layer`: lower-layer content goes, content
 * of `layer` itself stays (OCI image-spec layer.md: whiteouts apply only to lower layers, in
 * whatever order they appear in the tar). A subtree with nothing from `layer` is dropped whole
 * without being visited, which keeps whiteouts of large directories cheap.
 */
function survives(node: Node, layer: number): boolean {
  if (node.subtree < layer) return false;
  pruneChildren(node, layer);
  return true;
}

function pruneChildren(dir: Node, layer: number): void {
  const children = dir.children;
  if (children === undefined) return;
  for (const [name, child] of children) {
    if (!survives(child, layer)) children.delete(name);
  }
}

function isDir(node: Node): node is DirNode {
  return node.children !== undefined;
}

/** Splits a normalized path; the root is no components. */
function split(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

/** Node at exactly `path` (normalized), without following symlinks. */
export function lookup(root: Node, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const name of split(path)) {
    node = node.children?.get(name);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Walks `path` the way the kernel would inside a chroot: symlinks in every component, the last
 * one included, are followed, absolute targets restart at the image root and `..` never climbs
 * above it. Undefined for missing components, non-directories in the middle, or more than
 * `maxHops` symlinks.
 */
export function resolveNode(root: Node, path: string, maxHops: number): Node | undefined {
  // Components still to walk, last one first, so a symlink's target can be pushed in front.
  const todo = path.split('/').reverse();
  const stack: Node[] = [];
  let current = root;
  let hops = 0;
  for (;;) {
    const name = todo.pop();
    if (name === undefined) return current;
    if (current.children === undefined) return undefined;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      current = stack.pop() ?? root;
      continue;
    }
    const child = current.children.get(name);
    if (child === undefined) return undefined;
    if (child.entry.type === 'symlink') {
      if (++hops > maxHops) return undefined;
      const target = child.entry.linkTarget ?? '';
      if (target === '') return undefined;
      if (target.startsWith('/')) {
        stack.length = 0;
        current = root;
      }
      todo.push(...target.split('/').reverse());
      continue;
    }
    stack.push(current);
    current = child;
  }
}

/**
 * Where `path` will lead once the rest of the image has arrived, as far as can be told now:
 * symlinks that exist are followed (the last one too), missing components are taken as they
 * are. Undefined after more than `maxHops` symlinks.
 */
export function guessRealPath(root: Node, path: string, maxHops: number): string | undefined {
  const todo = path.split('/').reverse();
  const names: string[] = [];
  const nodes: (Node | undefined)[] = [];
  let current: Node | undefined = root;
  let hops = 0;
  for (;;) {
    const name = todo.pop();
    if (name === undefined) return names.join('/');
    if (name === '' || name === '.') continue;
    if (name === '..') {
      names.pop();
      nodes.pop();
      current = nodes.length === 0 ? root : nodes[nodes.length - 1];
      continue;
    }
    const child: Node | undefined = current?.children?.get(name);
    if (child?.entry.type === 'symlink') {
      if (++hops > maxHops) return undefined;
      const target = child.entry.linkTarget ?? '';
      if (target.startsWith('/')) {
        names.length = 0;
        nodes.length = 0;
        current = root;
      }
      todo.push(...target.split('/').reverse());
      continue;
    }
    names.push(name);
    nodes.push(child);
    current = child;
  }
}

/**
 * The merged filesystem being built, one layer after the other. Paths given to it are already
 * normalized; it never follows symlinks while building (a layer's `lib/x` over a lower
 * `lib -> usr/lib` becomes a directory `lib`, as in the overlay upper directory).
 */
export class TreeBuilder {
  readonly root: DirNode;
  private readonly replaced: (message: string) => void;

  constructor(onReplace: (message: string) => void) {
    this.root = dirNode(dirEntry('', ROOTFS_LAYER), -1);
    this.replaced = onReplace;
  }

  /** Writes `entry` at its path: a directory over a directory merges, anything else replaces. */
  put(entry: FileEntry, data: ContentRef | undefined, layer: LayerInfo): Node {
    if (entry.path === '') {
      if (entry.type === 'dir') this.root.entry = entry;
      return this.root;
    }
    const parts = entry.path.split('/');
    const name = parts.pop() ?? '';
    const parent = this.ensureDirs(parts, layer);
    const existing = parent.children.get(name);
    if (entry.type === 'dir' && existing?.children !== undefined) {
      existing.entry = entry;
      existing.layer = layer.position;
      existing.subtree = layer.position;
      return existing;
    }
    const node: Node = {
      entry,
      children: entry.type === 'dir' ? new Map() : undefined,
      data,
      layer: layer.position,
      subtree: layer.position,
      wanted: false,
    };
    parent.children.set(name, node);
    return node;
  }

  /** `.wh.NAME` in `dir`: removes lower-layer content at dir/NAME. */
  whiteout(dir: string, name: string, layer: LayerInfo): void {
    const children = lookup(this.root, dir)?.children;
    const victim = children?.get(name);
    if (children !== undefined && victim !== undefined && !survives(victim, layer.position))
      children.delete(name);
  }

  /** `.wh..wh..opq` in `dir`: hides every lower-layer child of `dir`, keeping `dir` itself. */
  opaque(dir: string, layer: LayerInfo): void {
    pruneChildren(this.ensureDirs(split(dir), layer), layer.position);
  }

  /**
   * The directory named by `parts`, creating missing ones and turning non-directories in the
   * way into directories, and marking the path as touched by `layer`.
   */
  private ensureDirs(parts: readonly string[], layer: LayerInfo): DirNode {
    let node = this.root;
    node.subtree = layer.position;
    for (const [i, name] of parts.entries()) {
      const child = node.children.get(name);
      let dir: DirNode;
      if (child !== undefined && isDir(child)) {
        dir = child;
      } else {
        const path = parts.slice(0, i + 1).join('/');
        if (child !== undefined) {
          this.replaced(
            `layer ${layer.index}: ${path} (a ${child.entry.type}) was replaced by a directory to hold entries below it`,
          );
        }
        dir = dirNode(dirEntry(path, layer), layer.position);
        node.children.set(name, dir);
      }
      dir.subtree = layer.position;
      node = dir;
    }
    return node;
  }
}

function normalizeQuery(path: string): string | undefined {
  try {
    return normalizeImagePath(path);
  } catch {
    return undefined;
  }
}

/** Every node below `root` (not `root` itself), in no particular order. */
export function allNodes(root: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.children === undefined) continue;
    for (const child of node.children.values()) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** The finished, read-only view handed to callers. */
export class MergedFileTree implements FileTree {
  readonly warnings: readonly string[];
  private readonly root: Node;
  private readonly maxHops: number;
  private sorted: FileEntry[] | undefined;

  constructor(root: Node, maxHops: number, warnings: readonly string[]) {
    this.root = root;
    this.maxHops = maxHops;
    this.warnings = warnings;
  }

  entries(): FileEntry[] {
    this.sorted ??= allNodes(this.root)
      .map((n) => n.entry)
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return this.sorted.slice();
  }

  get(path: string): FileEntry | undefined {
    const p = normalizeQuery(path);
    return p === undefined ? undefined : lookup(this.root, p)?.entry;
  }

  resolve(path: string): FileEntry | undefined {
    if (path.includes('\0')) return undefined;
    return resolveNode(this.root, path, this.maxHops)?.entry;
  }

  readFile(path: string): Buffer | undefined {
    if (path.includes('\0')) return undefined;
    return resolveNode(this.root, path, this.maxHops)?.data?.content;
  }

  summary(path: string): unknown {
    if (path.includes('\0')) return undefined;
    return resolveNode(this.root, path, this.maxHops)?.data?.summary;
  }
}
