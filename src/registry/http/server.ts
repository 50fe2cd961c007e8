import { createServer as createHttpsServer } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Logger } from '../../core/index.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { BlobStore } from '../storage/blob-store.js';
import { registerManagementApi, type ApiExtension } from './api/index.js';
import type { RegistryAuthConfig } from './auth.js';
import type { RegistryHooks } from './hooks.js';
import { registerDistributionRoutes } from './routes.js';

export type { RegistryAuthConfig } from './auth.js';

/** How to start the registry's HTTP server. */
export type RegistryServerOptions = {
  readonly host: string;
  readonly port: number;
  readonly blobs: BlobStore;
  readonly metadata: MetadataStore;
  readonly logger?: Logger | undefined;
  /** Authentication and authorization (and the `/token` endpoint); absent, every request is allowed. */
  readonly auth?: RegistryAuthConfig | undefined;
  /** Serve HTTPS with this certificate chain and key (PEM); plain HTTP without. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /** Gates and push notifications from the server layer (see RegistryHooks). */
  readonly hooks?: RegistryHooks | undefined;
  /**
   * More management API routes from the server layer (scan results, signatures, policy gates),
   * served and documented under /api/v1 beside the registry's own; only with `auth`.
   */
  readonly apiExtensions?: readonly ApiExtension[] | undefined;
};

/** A running registry server. */
export type RegistryServer = {
  /** `http://host:port` (`https://` with TLS), with the port actually bound. */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
};

/** Builds the fastify app serving the distribution API and, with `auth`, the management API (not listening). */
export function createRegistryApp(opts: Omit<RegistryServerOptions, 'host' | 'port'>): FastifyInstance {
  // Blob uploads can run long; fastify's request timeout stays off (Node's default headers
  // timeout still applies), and bodies are streamed by the routes, never buffered by fastify.
  const tls = opts.tls;
  // https.Server is an http.Server to fastify; a factory keeps the app's type the same either way.
  const https: FastifyServerFactory | undefined =
    tls === undefined ? undefined : (handler) => createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 1024 },
    return503OnClosing: true,
    ...(https === undefined ? {} : { serverFactory: https }),
  });
  registerDistributionRoutes(app, opts);
  // The management API needs accounts: without auth there is nobody to authorize.
  if (opts.auth !== undefined) {
    registerManagementApi(app, {
      store: opts.auth.store,
      verifier: opts.auth.verifier,
      metadata: opts.metadata,
      audit: opts.auth.audit,
      logger: opts.logger,
      extensions: opts.apiExtensions,
    });
  }
  return app;
}

/**
 * Starts the registry on `host:port` (port 0 picks a free one).
 * @throws the listen error (EADDRINUSE, EACCES...).
 */
export async function startRegistryServer(opts: RegistryServerOptions): Promise<RegistryServer> {
  const app = createRegistryApp(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `${opts.tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    app,
    close: async () => {
      // fastify closes the connections that are idle when closing begins; one still answering
      // then stays open after its response until the keep-alive timeout (72 s), and close waits
      // for it. Closing idle connections until close is done ends each as soon as it is answered.
      const done = app.close();
      const timer = setInterval(() => {
        app.server.closeIdleConnections();
      }, 50);
      try {
        await done;
      } finally {
        clearInterval(timer);
      }
    },
  };
}
