// Small in-memory images and file trees for the inventory tests: each built from a map of
// paths to contents (or symlinks), read through the real layer reader.
import { readImageFiles, type FileTree, type LayeredImage } from '../oci/index.js';
import { imageOf, type TarSpec } from './layer-images.js';

/** A file's content, a symlink, or a directory, keyed by path in the image. */
export type TreeFiles = Readonly<
  Record<string, string | Buffer | { readonly symlink: string } | { readonly dir: true }>
>;

function specsOf(files: TreeFiles): TarSpec[] {
  return Object.entries(files).map(([name, v]): TarSpec => {
    if (typeof v === 'string' || Buffer.isBuffer(v)) return { name, content: v };
    if ('symlink' in v) return { name, type: 'symlink', linkname: v.symlink };
    return { name, type: 'directory' };
  });
}

/** An image with one layer per argument. */
export async function imageOfFiles(...layers: TreeFiles[]): Promise<LayeredImage> {
  return (await imageOf(...layers.map(specsOf))).image;
}

/** The merged tree of such an image, with the content of every file kept. */
export async function treeOfFiles(...layers: TreeFiles[]): Promise<FileTree> {
  return readImageFiles(await imageOfFiles(...layers), { want: () => true });
}
