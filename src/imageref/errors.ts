import { PortcullisError } from '../core/index.js';

export type ImageRefErrorCode =
  | 'REF_EMPTY'
  | 'REF_TOO_LONG'
  | 'REF_UPPERCASE'
  | 'REF_INVALID_FORMAT'
  | 'REF_DIGEST_INVALID'
  | 'REF_TAG_INVALID'
  | 'REF_NAME_TOO_LONG'
  | 'REF_NOT_REPOSITORY';

/** Thrown for image references that do not follow the distribution reference grammar. */
export class ImageRefError extends PortcullisError<ImageRefErrorCode> {}
