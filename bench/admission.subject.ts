// Load on one HTTPS endpoint at a fixed rate with autocannon, from its own process so that the
// load generator does not share the server's event loop. Prints the latency percentiles of the
// answered requests (from autocannon's per-response times, in fractional ms: its own histogram
// counts whole milliseconds, too coarse for loopback), errors, timeouts and non-2xx answers.
//
// Coordinated omission: autocannon's correction for a rate-limited run records extra samples at
// an interval of ceil(1 / rate-per-connection) = 1 ms, treating requests per second as per
// millisecond, so it is turned off; a stalled server still shows in the tail, because each
// connection waits for its answer before the next request.
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { reportSubject } from './harness.js';

const [url, bodyFile, rateArg, secondsArg, connectionsArg] = process.argv.slice(2);
if (url === undefined || bodyFile === undefined)
  throw new Error('usage: admission.subject.js URL BODY.json [RATE] [SECONDS] [CONNECTIONS]');
const overallRate = Number(rateArg ?? '500');
const duration = Number(secondsArg ?? '5');
const connections = Number(connectionsArg ?? '10');
const body = await readFile(bodyFile);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)] ?? Number.NaN;
}

const times: number[] = [];
const instance = autocannon({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections,
  duration,
  overallRate,
  ignoreCoordinatedOmission: true,
  timeout: 5,
});
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  if (status >= 200 && status < 300) times.push(ms);
});
const result = await instance;
times.sort((a, b) => a - b);
const p99 = percentile(times, 99);
reportSubject(p99, {
  p50Ms: percentile(times, 50),
  p99Ms: p99,
  maxMs: times.at(-1) ?? Number.NaN,
  answered: times.length,
  sent: result.requests.sent,
  ratePerSecond: times.length / result.duration,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  resets: result.resets,
});
