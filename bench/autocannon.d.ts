// The part of autocannon 9's API the admission bench uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export type Options = {
    readonly url: string;
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string | Buffer;
    readonly connections?: number;
    /** Seconds. */
    readonly duration?: number;
    /** Requests per second over all connections. */
    readonly overallRate?: number;
    readonly ignoreCoordinatedOmission?: boolean;
    /** Seconds before a request counts as a timeout. */
    readonly timeout?: number;
  };

  export type Result = {
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly resets: number;
    readonly mismatches: number;
    readonly '2xx': number;
    readonly duration: number;
    readonly requests: { readonly total: number; readonly sent: number; readonly average: number };
    readonly latency: { readonly p50: number; readonly p99: number };
    readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
  };

  /** Emits `response` (client, statusCode, bytes, responseTime in ms) per answered request. */
  export type Instance = EventEmitter & PromiseLike<Result>;

  export default function autocannon(options: Options): Instance;
}
