/** Largest JSON body the management API reads, in bytes. */
export const MAX_API_BODY_BYTES = 64 * 1024;
