import { PortcullisError } from '../../core/index.js';

/** `FEED_INVALID`: a native feed file (Alpine secdb, Debian tracker list or JSON) is not in its format. */
export type FeedErrorCode = 'FEED_INVALID';

/** Thrown by the native-feed converters when their input is not in the format they read. */
export class FeedError extends PortcullisError<FeedErrorCode> {}
