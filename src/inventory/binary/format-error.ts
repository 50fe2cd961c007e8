/**
 * Malformed content inside an image file (an ELF header, build info, a zip directory). Thrown
 * and caught within the binary analyzers, where it becomes an InventoryGap naming the file; it
 * never leaves the capability.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}
