import { PortcullisError } from '../core/index.js';

/** Codes of the errors the inventory capability throws. */
export type InventoryErrorCode = 'PURL_INVALID' | 'ANALYZER_DUPLICATE';

/** An error of the inventory capability; expected findings (gaps, warnings) are data, not errors. */
export class InventoryError extends PortcullisError<InventoryErrorCode> {}
