import type { Readable } from 'node:stream';
import { errorMessage, isPortcullisError, truncateForMessage, type Logger } from '../../core/index.js';
import { isLoopbackRegistry, registryEndpointHost } from '../../imageref/index.js';
import { OciError } from '../errors.js';
import { Authenticator, type TokenFetch } from './auth.js';
import { parseAuthChallenges } from './challenge.js';
import type { CredentialStore } from './credentials.js';
import {
  classifyNetworkError,
  createAgents,
  discardBody,
  isRedirectStatus,
  readBody,
  sendRequest,
  type Agents,
  type HttpResponse,
  type NetworkFailure,
} from './http.js';
import { isRetryableStatus, parseRetryAfter, retryDelay, sleep, type RetryPolicy } from './retry.js';

export type TransportOptions = {
  readonly credentials: CredentialStore | undefined;
  /** Allow plain HTTP to any registry and skip TLS certificate verification. */
  readonly insecure: boolean;
  /** Speak plain HTTP without trying HTTPS first (allowed for loopback registries or with `insecure`). */
  readonly plainHttp: boolean;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly userAgent: string;
};

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type RegistryRequest = {
  readonly method: HttpMethod;
  /** A path below the registry's origin (`/v2/...`) or an absolute URL (an upload `Location`). */
  readonly target: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** Called once per attempt, so that a retried request can send its body again. */
  readonly body?: () => Buffer | Readable;
  /** Token scopes the request needs (`repository:NAME:pull`). */
  readonly scopes: readonly string[];
  /** Follow redirects (default: for GET and HEAD). */
  readonly followRedirects?: boolean;
};

const MAX_REDIRECTS = 10;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

/**
 * HTTP for one client: picks HTTPS or HTTP per registry, authenticates, retries throttling and
 * server errors with backoff, follows redirects without leaking credentials to other hosts.
 * It returns whatever final response it gets; callers decide which statuses are errors.
 */
export class RegistryTransport {
  private readonly agents: Agents;
  private readonly schemes = new Map<string, 'https' | 'http'>();
  readonly auth: Authenticator;

  constructor(private readonly opts: TransportOptions) {
    this.agents = createAgents(opts.insecure);
    const fetchToken: TokenFetch = (url, init) => this.tokenRequest(url, init);
    this.auth = new Authenticator(opts.credentials, fetchToken, opts.logger);
  }

  /** Closes pooled connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Whether plain HTTP may be used for this host[:port]. */
  private httpAllowed(host: string): boolean {
    return this.opts.insecure || isLoopbackRegistry(host);
  }

  private refuseHttp(registry: string, why: string): OciError {
    return new OciError(
      'INSECURE_REFUSED',
      `refusing plain HTTP to ${registry}: ${why}; only loopback registries may use HTTP by default (use --insecure if you trust the network path)`,
    );
  }

  /** The origin to use for a registry, before any connection: HTTPS unless HTTP was decided or asked for. */
  private origin(registry: string): { url: URL; tentative: boolean } {
    const host = registryEndpointHost(registry);
    const decided = this.schemes.get(registry);
    if (decided !== undefined) return { url: new URL(`${decided}://${host}`), tentative: false };
    if (this.opts.plainHttp) {
      if (!this.httpAllowed(registry)) throw this.refuseHttp(registry, 'plain HTTP was requested');
      this.schemes.set(registry, 'http');
      return { url: new URL(`http://${host}`), tentative: false };
    }
    return { url: new URL(`https://${host}`), tentative: true };
  }

  /**
   * Sends a request to a registry and returns the final response (after auth, redirects and
   * retries). 401s are resolved here; any other status is returned.
   * @throws OciError INSECURE_REFUSED, UNAUTHORIZED, TIMEOUT, REGISTRY_UNREACHABLE.
   */
  async request(registry: string, req: RegistryRequest): Promise<HttpResponse> {
    let { url: origin, tentative } = this.origin(registry);
    let url = this.resolveTarget(registry, origin, req.target);
    let method = req.method;
    let body = req.body;
    const follow = req.followRedirects ?? (method === 'GET' || method === 'HEAD');
    let authorization = await this.auth.authorizationFor(registry, req.scopes);
    let authRetried = false;
    let attempt = 0;
    let redirects = 0;

    for (;;) {
      const sameOrigin = url.origin === origin.origin;
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...req.headers };
      // Credentials are for the registry only, never for a blob store it redirects to.
      if (sameOrigin && authorization !== undefined) headers['authorization'] = authorization;
      let res: HttpResponse;
      try {
        res = await sendRequest(
          { method, url, headers, body: body?.(), timeoutMs: this.opts.timeoutMs },
          this.agents,
        );
      } catch (err) {
        const kind = classifyNetworkError(err);
        if (kind === 'tls-protocol' && tentative && sameOrigin) {
          if (!this.httpAllowed(registry)) {
            throw this.refuseHttp(
              registry,
              `its HTTPS handshake failed (${truncateForMessage(errorMessage(err), 120)}), which usually means it serves plain HTTP`,
            );
          }
          this.opts.logger.info('registry does not speak TLS; falling back to plain HTTP', { registry });
          this.schemes.set(registry, 'http');
          const next = this.origin(registry);
          origin = next.url;
          tentative = false;
          url = this.resolveTarget(registry, origin, req.target);
          continue;
        }
        if ((kind === 'reset' || kind === 'timeout') && attempt < this.opts.retry.retries) {
          const delay = retryDelay(attempt, this.opts.retry);
          attempt++;
          this.opts.logger.info('registry connection failed; retrying', {
            registry,
            method,
            path: url.pathname,
            error: kind,
            delayMs: delay,
            attempt,
          });
          await sleep(delay);
          continue;
        }
        throw networkError(err, kind, registry, url);
      }
      if (tentative && sameOrigin) {
        this.schemes.set(registry, 'https');
        tentative = false;
      }
      this.opts.logger.debug('registry response', {
        registry,
        method,
        host: url.host,
        path: url.pathname,
        status: res.status,
      });

      if (res.status === 401 && sameOrigin) {
        const challenges = parseAuthChallenges(res.headerAll('www-authenticate'));
        discardBody(res);
        if (authRetried) throw await this.auth.rejected(registry, challenges, req.scopes);
        authRetried = true;
        authorization = await this.auth.onUnauthorized(registry, challenges, req.scopes);
        continue;
      }
      if (follow && isRedirectStatus(res.status)) {
        const location = res.header('location');
        discardBody(res);
        if (location === undefined || location === '') {
          throw new OciError(
            'REGISTRY_ERROR',
            `${registry} answered HTTP ${res.status} to ${method} ${url.pathname} without a Location`,
          );
        }
        if (++redirects > MAX_REDIRECTS) {
          throw new OciError(
            'REGISTRY_ERROR',
            `${registry}: more than ${MAX_REDIRECTS} redirects for ${method} ${url.pathname}`,
          );
        }
        url = this.checkUrl(registry, new URL(location, url));
        if (res.status === 303 && method !== 'HEAD') {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < this.opts.retry.retries) {
        const delay = retryDelay(attempt, this.opts.retry, parseRetryAfter(res.header('retry-after')));
        attempt++;
        discardBody(res);
        this.opts.logger.info('registry is busy or failing; retrying', {
          registry,
          method,
          path: url.pathname,
          status: res.status,
          delayMs: delay,
          attempt,
        });
        await sleep(delay);
        continue;
      }
      return res;
    }
  }

  /** Absolute URL for a request target; absolute targets must obey the same scheme rules. */
  private resolveTarget(registry: string, origin: URL, target: string | URL): URL {
    if (typeof target === 'string' && target.startsWith('/')) return new URL(target, origin);
    return this.checkUrl(registry, new URL(target, origin));
  }

  private checkUrl(registry: string, url: URL): URL {
    if (url.protocol === 'https:') return url;
    if (url.protocol !== 'http:') {
      throw new OciError(
        'REGISTRY_ERROR',
        `${registry} pointed to a URL with unsupported scheme ${truncateForMessage(url.protocol, 20)}`,
      );
    }
    if (!this.httpAllowed(url.host))
      throw this.refuseHttp(registry, `it pointed to the plain-HTTP URL of ${url.host}`);
    return url;
  }

  /** Requests to token services: same scheme rules and retries, no credentials beyond what auth adds. */
  private async tokenRequest(
    url: URL,
    init: {
      readonly method: 'GET' | 'POST';
      readonly headers: Readonly<Record<string, string>>;
      readonly body?: Buffer;
    },
  ): Promise<{ status: number; body: Buffer }> {
    this.checkUrl(url.host, url);
    const headers = { 'user-agent': this.opts.userAgent, accept: 'application/json', ...init.headers };
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await sendRequest(
          { method: init.method, url, headers, body: init.body, timeoutMs: this.opts.timeoutMs },
          this.agents,
        );
      } catch (err) {
        const kind = classifyNetworkError(err);
        if ((kind === 'reset' || kind === 'timeout') && attempt < this.opts.retry.retries) {
          await sleep(retryDelay(attempt, this.opts.retry));
          continue;
        }
        throw networkError(err, kind, url.host, url);
      }
      if (isRetryableStatus(res.status) && attempt < this.opts.retry.retries) {
        discardBody(res);
        await sleep(retryDelay(attempt, this.opts.retry, parseRetryAfter(res.header('retry-after'))));
        continue;
      }
      const body = await readBody(
        res,
        MAX_TOKEN_RESPONSE_BYTES,
        () =>
          new OciError(
            'REGISTRY_ERROR',
            `the token service at ${url.host} sent more than ${MAX_TOKEN_RESPONSE_BYTES} bytes`,
          ),
      );
      return { status: res.status, body };
    }
  }
}

/** Wraps a network failure into an OciError that names the registry and says what to do. */
export function networkError(err: unknown, kind: NetworkFailure, registry: string, url: URL): Error {
  // Our own errors (a timeout, a body that failed verification on the way out) already say what happened.
  if (isPortcullisError(err)) return err;
  const detail = truncateForMessage(errorMessage(err), 160);
  const where = `${url.protocol}//${url.host}`;
  switch (kind) {
    case 'timeout':
      return new OciError('TIMEOUT', `registry ${registry} (${where}) timed out: ${detail}`, { cause: err });
    case 'tls-certificate':
      return new OciError(
        'REGISTRY_UNREACHABLE',
        `the TLS certificate of ${where} is not trusted (${detail}); use --insecure to skip verification if you trust the network path`,
        { cause: err },
      );
    case 'tls-protocol':
    case 'unreachable':
    case 'reset':
    case 'other':
      return new OciError(
        'REGISTRY_UNREACHABLE',
        `cannot reach registry ${registry} at ${where}: ${detail}`,
        { cause: err },
      );
  }
}
