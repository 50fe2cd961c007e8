import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Endpoint = 'validate' | 'mutate';
/** allowed, denied, warned (admitted with warnings) or error (no AdmissionReview answer: 4xx/5xx). */
export type RequestResult = 'allowed' | 'denied' | 'warned' | 'error';
/** Why facts are missing: the source overran the deadline, threw, was absent, or returned `{ error }` facts. */
export type FactErrorReason = 'deadline' | 'source_failed' | 'no_source' | 'lookup';

/** The webhook's Prometheus metrics, on a registry of its own (never prom-client's global one). */
export type AdmissionMetrics = {
  readonly registry: Registry;
  readonly requests: Counter<'endpoint' | 'result'>;
  readonly duration: Histogram<'endpoint'>;
  readonly factErrors: Counter<'endpoint' | 'reason'>;
  readonly inFlight: Gauge<'endpoint'>;
};

// Admission answers take about a millisecond from cache and up to the fact deadline (2.5 s by
// default) when the registry is slow; the API server gives up at timeoutSeconds (10 s default).
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createAdmissionMetrics(options: { readonly processMetrics: boolean }): AdmissionMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'portcullis_admission_requests_total',
      help: 'Admission requests answered, by endpoint and result (allowed, denied, warned, error).',
      labelNames: ['endpoint', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'portcullis_admission_request_duration_seconds',
      help: 'Time from request to response, including fact gathering.',
      labelNames: ['endpoint'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    factErrors: new Counter({
      name: 'portcullis_admission_fact_errors_total',
      help: 'Facts that could not be gathered, by reason (deadline, source_failed, no_source, lookup).',
      labelNames: ['endpoint', 'reason'],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'portcullis_admission_in_flight_requests',
      help: 'Admission requests being answered now.',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
  };
}
