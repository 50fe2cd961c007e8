/** Compression formats recognized by their magic bytes. */
export type Compression = 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'none';

/**
 * Recognizes a compression format from the first bytes of a stream or file ('none' when no
 * known magic number is there). Magic bytes are what decide: media types and file extensions
 * are often wrong (docker-archive labels plain tars as gzip; `.tar.gz` files are sometimes plain).
 */
export function sniffCompression(head: Uint8Array): Compression {
  const b = (i: number): number => head[i] ?? -1;
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  // A zstd stream may open with a skippable frame (RFC 8878 3.1.2), magic 0x184D2A5?.
  if ((b(0) & 0xf0) === 0x50 && b(1) === 0x2a && b(2) === 0x4d && b(3) === 0x18) return 'zstd';
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) return 'bzip2';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00)
    return 'xz';
  return 'none';
}
