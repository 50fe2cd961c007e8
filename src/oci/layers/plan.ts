import { fileTooLarge, type Warnings } from './problems.js';
import { allNodes, resolveNode, type ContentRef, type Node } from './tree.js';

const ALIAS_FACTOR = 4;
const ALIAS_FLOOR = 100_000;

/**
 * Content that was wanted but could not be kept during the single pass over the layers:
 * targets of wanted symlinks, lower-layer files behind wanted hard links, and files reached
 * through a symlinked directory under a wanted alias (`lib/x` with `lib -> usr/lib`).
 *
 * @throws OciError LIMIT_EXCEEDED when such a file is larger than maxFileBytes.
 */
export function findMissingContent(
  root: Node,
  want: (path: string) => boolean,
  maxFileBytes: number,
  maxHops: number,
  warnings: Warnings,
): ContentRef[] {
  const missing = new Set<ContentRef>();
  const consider = (node: Node | undefined, asked: string): void => {
    const data = node?.data;
    if (data === undefined || data.content !== undefined || missing.has(data)) return;
    if (data.size > maxFileBytes) throw fileTooLarge(asked, data.size, maxFileBytes);
    missing.add(data);
  };

  const nodes = allNodes(root);
  const dirLinks: Node[] = [];
  for (const node of nodes) {
    const { type, path } = node.entry;
    if (type === 'symlink') dirLinks.push(node);
    if (!node.wanted) continue;
    consider(type === 'symlink' ? resolveNode(root, path, maxHops) : node, path);
  }

  // Symlinked directories give files a second name that `want` has not been asked about.
  // Only one level of aliasing is explored, and the total work is capped at a few times the
  // tree's size so that many links to the root cannot make this quadratic.
  const cap = Math.max(ALIAS_FLOOR, ALIAS_FACTOR * nodes.length);
  let budget = cap;
  for (const link of dirLinks) {
    const dir = resolveNode(root, link.entry.path, maxHops);
    if (dir?.children === undefined) continue;
    const stack: [Node, string][] = [[dir, link.entry.path]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [node, prefix] = item;
      for (const [name, child] of node.children ?? []) {
        if (--budget < 0) {
          warnings.add(`stopped looking for wanted files behind symlinked directories after ${cap} paths`);
          return [...missing];
        }
        const alias = `${prefix}/${name}`;
        if (child.children !== undefined) stack.push([child, alias]);
        else if (want(alias)) consider(resolveNode(root, alias, maxHops), alias);
      }
    }
  }
  return [...missing];
}
