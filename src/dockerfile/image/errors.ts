import { PortcullisError } from '../../core/index.js';

export type ImageAuditErrorCode = 'IMAGE_CONFIG_INVALID';

/** Input the image audit cannot work with; the message says what was expected. */
export class ImageAuditError extends PortcullisError<ImageAuditErrorCode> {}
