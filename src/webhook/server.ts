import { once } from 'node:events';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import Fastify from 'fastify';
import { errorMessage } from '../core/index.js';
import { fastifyOptions, installAdmissionRoutes } from './app.js';
import type { AdmissionAppState, AdmissionWebhookOptions } from './app.js';
import { WebhookError } from './errors.js';

/** The serving certificate chain and its private key, both PEM. */
export type WebhookTls = {
  readonly certPem: string;
  readonly keyPem: string;
};

export type AdmissionServerOptions = AdmissionWebhookOptions & {
  /** Address to listen on, e.g. `0.0.0.0` in a pod or `127.0.0.1` in tests. */
  readonly host: string;
  /** Port; 0 picks a free one (see `port` on the result). */
  readonly port: number;
  /** Required: the API server calls webhooks over HTTPS only. */
  readonly tls: WebhookTls;
  /**
   * On close, how long readiness reports 503 while the listener still answers, so that the
   * Service stops routing here before connections are refused (default 0; in a cluster a few
   * seconds, or a preStop sleep, does the same).
   */
  readonly drainDelayMs?: number;
  /** On close, how long in-flight requests may take before their connections are cut (default 10 s). */
  readonly gracePeriodMs?: number;
};

/** A listening webhook server. */
export type AdmissionServer = {
  /** `https://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Swaps the serving certificate for new connections (rotation); the old one keeps serving open ones. */
  updateTls(tls: WebhookTls): void;
  /**
   * Graceful shutdown: readiness turns 503, the listener closes after the drain delay, in-flight
   * requests finish (up to the grace period) and then every connection is closed. Idempotent.
   */
  close(): Promise<void>;
};

const DEFAULT_GRACE_MS = 10_000;

/**
 * Starts the admission webhook over HTTPS (TLS 1.2 or later).
 *
 * @throws WebhookError WEBHOOK_OPTIONS_INVALID without TLS material or with an option out of
 *   range; WEBHOOK_TLS_INVALID when the certificate or key does not load; WEBHOOK_LISTEN_FAILED
 *   when the host and port cannot be bound.
 */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const tls = checkTls(options.tls);
  const drainDelayMs = checkMs('drainDelayMs', options.drainDelayMs ?? 0);
  const gracePeriodMs = checkMs('gracePeriodMs', options.gracePeriodMs ?? DEFAULT_GRACE_MS);
  const app = Fastify<HttpsServer>({
    ...fastifyOptions(options),
    https: { cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' },
  });
  const state: AdmissionAppState = { closing: false, inFlight: 0 };
  installAdmissionRoutes(app, options, state);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    throw new WebhookError(
      'WEBHOOK_LISTEN_FAILED',
      `cannot listen on ${options.host}:${options.port}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const server: HttpsServer = app.server;
  const address = server.address();
  const port = typeof address === 'object' ? (address?.port ?? options.port) : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closed: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    state.closing = true;
    app.log.info(
      { drainDelayMs, gracePeriodMs, inFlight: state.inFlight },
      'admission webhook shutting down',
    );
    if (drainDelayMs > 0) await delay(drainDelayMs);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, gracePeriodMs);
    });
    const outcome = await Promise.race([app.close().then(() => 'closed' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      app.log.warn({ inFlight: state.inFlight }, 'grace period over; closing the remaining connections');
      server.closeAllConnections();
      if (server.listening) await once(server, 'close');
    }
  };
  return {
    url: `https://${host}:${port}`,
    port,
    updateTls(next: WebhookTls): void {
      const checked = checkTls(next);
      server.setSecureContext({ cert: checked.certPem, key: checked.keyPem, minVersion: 'TLSv1.2' });
    },
    close(): Promise<void> {
      closed ??= shutdown();
      return closed;
    },
  };
}

function checkTls(tls: WebhookTls | undefined): WebhookTls {
  if (tls === undefined || tls.certPem.trim() === '' || tls.keyPem.trim() === '') {
    throw new WebhookError(
      'WEBHOOK_OPTIONS_INVALID',
      'the admission webhook serves HTTPS only: give a serving certificate and key',
    );
  }
  try {
    // Loads both and checks that the key is the certificate's, before anything listens.
    createSecureContext({ cert: tls.certPem, key: tls.keyPem });
  } catch (err) {
    // Node's message names the OpenSSL failure, never the key material.
    throw new WebhookError(
      'WEBHOOK_TLS_INVALID',
      `the serving certificate or key does not load: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  return tls;
}

function checkMs(name: string, ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > 10 * 60_000) {
    throw new WebhookError(
      'WEBHOOK_OPTIONS_INVALID',
      `${name} ${ms} must be a whole number of ms from 0 to 600000`,
    );
  }
  return ms;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
