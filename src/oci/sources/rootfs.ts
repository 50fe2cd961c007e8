import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../core/index.js';
import { OciError } from '../errors.js';
import type { ImageSource, RootfsImage } from '../image.js';

/** `rootfs:DIR`: an unpacked root filesystem, read as it is. */
export class RootfsSource implements ImageSource {
  readonly kind = 'rootfs' as const;
  /** Absolute path of the directory. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** Checks the directory. @throws OciError SOURCE_INVALID when it is missing or not a directory. */
  async open(): Promise<RootfsImage> {
    let info;
    try {
      info = await stat(this.dir);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new OciError(
        'SOURCE_INVALID',
        missing
          ? `root filesystem ${this.dir} does not exist`
          : `cannot read root filesystem ${this.dir}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    if (!info.isDirectory()) {
      throw new OciError(
        'SOURCE_INVALID',
        `root filesystem ${this.dir} is not a directory (for an image archive use docker-archive: or oci-archive:)`,
      );
    }
    return { kind: 'rootfs', source: 'rootfs', reference: `rootfs:${this.dir}`, root: this.dir };
  }

  /** Nothing is held. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
