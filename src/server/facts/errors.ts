import { PortcullisError } from '../../core/index.js';

export type FactSourceErrorCode =
  /** A cache bound or lifetime is not a positive whole number. */
  'FACTS_OPTIONS_INVALID';

/** Thrown when a fact source is built with options it cannot work with. */
export class FactSourceError extends PortcullisError<FactSourceErrorCode> {}
