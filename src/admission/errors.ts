import { PortcullisError } from '../core/index.js';

export type AdmissionErrorCode =
  /** The body is not an AdmissionReview (null, not JSON, missing uid/kind/operation, wrong apiVersion). */
  | 'ADMISSION_REVIEW_INVALID'
  /** The request's object does not have the shape of its kind (e.g. `spec.containers` is not a list). */
  | 'ADMISSION_OBJECT_INVALID';

/** Thrown when an AdmissionReview or the object inside it cannot be read; the HTTP layer answers 400. */
export class AdmissionError extends PortcullisError<AdmissionErrorCode> {}
