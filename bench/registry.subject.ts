// Manifest HEADs at a fixed rate over a fixed number of keep-alive connections with autocannon,
// from its own process (the registry under test runs in another). The request headers, which
// hold the credentials, come from a 0600 file, never argv. Prints the latency percentiles of the
// 200 answers (from autocannon's per-response times in fractional ms; its histogram counts whole
// milliseconds, too coarse for loopback), the answered rate, and every kind of failure.
// Coordinated-omission correction is off for the reason admission.subject.ts gives.
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { reportSubject } from './harness.js';

const [url, headersFile, rateArg, secondsArg, connectionsArg] = process.argv.slice(2);
if (url === undefined || headersFile === undefined)
  throw new Error('usage: registry.subject.js URL HEADERS.json RATE SECONDS CONNECTIONS');
const headers = JSON.parse(await readFile(headersFile, 'utf8')) as Record<string, string>;

type ParserCallbacks = Record<number, unknown> & { constructor: { kOnHeadersComplete: number } };

/**
 * autocannon 9's HTTP parser is never told that its requests are HEADs, so it waits for the
 * Content-Length bytes a HEAD answer announces but never sends (RFC 9110 §9.3.2), and every
 * request times out. Its `setupClient` hook gets each connection's client before the parser's
 * callbacks are installed; this makes the headers-complete callback (http-parser-js's
 * kOnHeadersComplete) report "no body follows", as Node's parser does for a HEAD.
 */
function skipHeadBodies(client: { parser: ParserCallbacks }): void {
  const parser = client.parser;
  let callback: ((...args: unknown[]) => unknown) | undefined;
  Object.defineProperty(parser, parser.constructor.kOnHeadersComplete, {
    configurable: true,
    get:
      () =>
      (...args: unknown[]) => {
        callback?.(...args);
        return true;
      },
    set: (fn: (...args: unknown[]) => unknown) => {
      callback = fn;
    },
  });
}

const times: number[] = [];
let other = 0;
const options = {
  url,
  method: 'HEAD',
  headers,
  connections: Number(connectionsArg ?? '10'),
  duration: Number(secondsArg ?? '5'),
  overallRate: Number(rateArg ?? '1000'),
  ignoreCoordinatedOmission: true,
  timeout: 5,
  // Not in bench/autocannon.d.ts, which declares only what the admission bench uses.
  setupClient: skipHeadBodies,
};
const instance = autocannon(options);
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  if (status === 200) times.push(ms);
  else other++;
});
const result = await instance;
times.sort((a, b) => a - b);
const at = (p: number): number =>
  times[Math.min(times.length - 1, Math.ceil((times.length * p) / 100) - 1)] ?? NaN;
reportSubject(at(99), {
  p50Ms: at(50),
  p99Ms: at(99),
  maxMs: times.at(-1) ?? NaN,
  answered: times.length,
  ratePerSecond: times.length / result.duration,
  errors: result.errors,
  timeouts: result.timeouts,
  non200: other,
});
