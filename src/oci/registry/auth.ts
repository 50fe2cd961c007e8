import { z } from 'zod';
import { truncateForMessage, type Logger } from '../../core/index.js';
import { OciError } from '../errors.js';
import type { AuthChallenge } from './challenge.js';
import type { Credential, CredentialStore, DescribedCredentialStore } from './credentials.js';

/** What a token request returns, read fully (the transport caps its size). */
export type TokenHttpResponse = { readonly status: number; readonly body: Buffer };

/** Sends a request to a token service; the transport decides scheme rules, timeouts and retries. */
export type TokenFetch = (
  url: URL,
  init: {
    readonly method: 'GET' | 'POST';
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: Buffer;
  },
) => Promise<TokenHttpResponse>;

type RegistryAuthScheme =
  | { readonly kind: 'basic' }
  | { readonly kind: 'bearer'; readonly realm: string; readonly service: string | undefined };

type CachedToken = { readonly token: string; readonly expiresAt: number };

// distribution docs/spec/auth/token.md: "token" and "access_token" (OAuth2) are synonyms;
// expires_in defaults to 60 s.
const tokenResponseSchema = z.object({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().positive().optional(),
});
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_CHARS = 64 * 1024;

/** The token scope for pulling from, or pushing to, a repository (distribution's scope.md). */
export function repositoryScope(repository: string, push: boolean): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}

/** Cache key for a set of scopes, independent of their order. */
function scopeKey(registry: string, scopes: readonly string[]): string {
  return `${registry}\n${[...scopes].sort().join(' ')}`;
}

/**
 * Registry authentication: learns each registry's scheme from its first 401 challenge, then
 * authenticates every later request up front. Bearer tokens are cached per (registry, scope
 * set) until shortly before they expire; concurrent requests share one token fetch.
 * Secrets stay inside this class: they go into headers and request bodies, never into
 * messages or logs.
 */
export class Authenticator {
  private readonly schemes = new Map<string, RegistryAuthScheme>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  private readonly credentialLookups = new Map<string, Promise<Credential | undefined>>();

  constructor(
    private readonly store: CredentialStore | undefined,
    private readonly fetchToken: TokenFetch,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The Authorization value to send to `registry` for `scopes`, when its scheme is known
   * already; fetches a fresh bearer token if the cached one expired.
   * @throws OciError UNAUTHORIZED when the token service refuses, REGISTRY_ERROR for bad answers.
   */
  async authorizationFor(registry: string, scopes: readonly string[]): Promise<string | undefined> {
    const scheme = this.schemes.get(registry);
    if (scheme === undefined) return undefined;
    if (scheme.kind === 'basic') {
      const cred = await this.credential(registry);
      return cred === undefined ? undefined : basicHeader(cred);
    }
    const token = await this.token(registry, scheme, scopes);
    return `Bearer ${token.token}`;
  }

  /**
   * Reacts to a 401: records the scheme the registry asked for and returns the Authorization
   * to retry with. A cached token that was just refused is dropped first.
   * @throws OciError UNAUTHORIZED when no usable scheme is offered, or Basic is asked for and
   *   there are no credentials.
   */
  async onUnauthorized(
    registry: string,
    challenges: readonly AuthChallenge[],
    scopes: readonly string[],
  ): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && (c.params['realm'] ?? '') !== '');
    const basic = challenges.find((c) => c.scheme === 'basic');
    this.tokens.delete(scopeKey(registry, scopes));
    if (bearer !== undefined) {
      const realm = bearer.params['realm'] ?? '';
      this.schemes.set(registry, { kind: 'bearer', realm, service: bearer.params['service'] });
      this.logger.debug('registry asks for a bearer token', {
        registry,
        realm: truncateForMessage(realm, 200),
      });
    } else if (basic !== undefined) {
      this.schemes.set(registry, { kind: 'basic' });
      this.logger.debug('registry asks for Basic authentication', { registry });
      if ((await this.credential(registry)) === undefined) throw this.noCredentials(registry, scopes);
    } else {
      const offered = challenges.map((c) => c.scheme).join(', ') || 'none';
      throw new OciError(
        'UNAUTHORIZED',
        `registry ${registry} requires authentication with a scheme this client does not support (offered: ${truncateForMessage(offered, 100)})`,
      );
    }
    const auth = await this.authorizationFor(registry, scopes);
    if (auth === undefined) throw this.noCredentials(registry, scopes);
    return auth;
  }

  /** The error for a 401 that persists after authenticating: names the registry and the credential's source. */
  async rejected(
    registry: string,
    challenges: readonly AuthChallenge[],
    scopes: readonly string[],
  ): Promise<OciError> {
    const cred = await this.credential(registry).catch(() => undefined);
    if (cred === undefined) return this.noCredentials(registry, scopes);
    const insufficient = challenges.some((c) => c.params['error'] === 'insufficient_scope');
    const who = this.describeCredential(registry, cred);
    return new OciError(
      'UNAUTHORIZED',
      insufficient
        ? `registry ${registry} did not grant ${scopes.join(' ')} to ${who}`
        : `registry ${registry} rejected ${who}`,
    );
  }

  private noCredentials(registry: string, scopes: readonly string[]): OciError {
    const what = scopes.length > 0 ? ` for ${scopes.join(' ')}` : '';
    return new OciError(
      'UNAUTHORIZED',
      `registry ${registry} requires authentication${what} and no credentials were found for it; log in first (portcullis login ${registry}, or docker login)`,
    );
  }

  private describeCredential(registry: string, cred: Credential): string {
    const what = cred.kind === 'basic' ? 'the password' : 'the identity token';
    const user = cred.username !== '' ? ` for user "${truncateForMessage(cred.username, 80)}"` : '';
    // Stores may say where their answer came from (DescribedCredentialStore); plain ones get a generic name.
    const store = this.store as Partial<DescribedCredentialStore> | undefined;
    const source =
      typeof store?.describe === 'function' ? store.describe(registry) : 'the configured credential store';
    return `${what}${user} (from ${source})`;
  }

  private credential(registry: string): Promise<Credential | undefined> {
    if (this.store === undefined) return Promise.resolve(undefined);
    let lookup = this.credentialLookups.get(registry);
    if (lookup === undefined) {
      lookup = this.store.get(registry);
      this.credentialLookups.set(registry, lookup);
      lookup.catch(() => this.credentialLookups.delete(registry));
    }
    return lookup;
  }

  private async token(
    registry: string,
    scheme: Extract<RegistryAuthScheme, { kind: 'bearer' }>,
    scopes: readonly string[],
  ): Promise<CachedToken> {
    const key = scopeKey(registry, scopes);
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached;
    let inflight = this.pending.get(key);
    if (inflight === undefined) {
      inflight = this.requestToken(registry, scheme, scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, inflight);
    }
    const token = await inflight;
    this.tokens.set(key, token);
    return token;
  }

  private async requestToken(
    registry: string,
    scheme: Extract<RegistryAuthScheme, { kind: 'bearer' }>,
    scopes: readonly string[],
  ): Promise<CachedToken> {
    let realm: URL;
    try {
      realm = new URL(scheme.realm);
    } catch {
      throw new OciError(
        'REGISTRY_ERROR',
        `registry ${registry} named an invalid token realm "${truncateForMessage(scheme.realm, 100)}"`,
      );
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new OciError('REGISTRY_ERROR', `registry ${registry} named a token realm that is not HTTP(S)`);
    }
    const cred = await this.credential(registry);
    this.logger.debug('requesting a registry token', {
      registry,
      realm: realm.host,
      scopes: scopes.join(' '),
      authenticated: cred !== undefined,
    });
    let res: TokenHttpResponse;
    if (cred?.kind === 'identityToken') {
      // distribution docs/spec/auth/oauth.md: a refresh token is exchanged by POST.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cred.token,
        client_id: 'portcullis',
      });
      if (scheme.service !== undefined) form.set('service', scheme.service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await this.fetchToken(realm, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString(), 'utf8'),
      });
      // Token services without the OAuth2 endpoint answer 404/405; Docker then falls back to GET.
      if (res.status === 404 || res.status === 405) res = await this.getToken(realm, scheme, scopes, cred);
    } else {
      res = await this.getToken(realm, scheme, scopes, cred);
    }
    if (res.status === 401 || res.status === 403) {
      throw new OciError(
        'UNAUTHORIZED',
        cred === undefined
          ? `the token service of registry ${registry} (${realm.host}) refused anonymous access for ${scopes.join(' ') || 'the registry'}; log in first`
          : `the token service of registry ${registry} (${realm.host}) rejected ${this.describeCredential(registry, cred)}`,
      );
    }
    if (res.status !== 200) {
      throw new OciError(
        'REGISTRY_ERROR',
        `the token service of registry ${registry} (${realm.host}) answered HTTP ${res.status}`,
      );
    }
    let parsed: z.infer<typeof tokenResponseSchema> | undefined;
    try {
      const r = tokenResponseSchema.safeParse(JSON.parse(res.body.toString('utf8')));
      parsed = r.success ? r.data : undefined;
    } catch {
      parsed = undefined;
    }
    const token = parsed?.token ?? parsed?.access_token ?? '';
    if (parsed === undefined || token === '' || token.length > MAX_TOKEN_CHARS || /[\s\0]/.test(token)) {
      throw new OciError(
        'REGISTRY_ERROR',
        `the token service of registry ${registry} (${realm.host}) answered without a usable token`,
      );
    }
    const seconds = parsed.expires_in ?? DEFAULT_TOKEN_SECONDS;
    // Refresh a little early so that a token never expires between check and use.
    const margin = Math.min(10_000, seconds * 100);
    return { token, expiresAt: this.now() + seconds * 1000 - margin };
  }

  private getToken(
    realm: URL,
    scheme: Extract<RegistryAuthScheme, { kind: 'bearer' }>,
    scopes: readonly string[],
    cred: Credential | undefined,
  ): Promise<TokenHttpResponse> {
    const url = new URL(realm);
    if (scheme.service !== undefined) url.searchParams.set('service', scheme.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    if (cred !== undefined && cred.username !== '') url.searchParams.set('account', cred.username);
    const headers: Record<string, string> = {};
    if (cred !== undefined) headers['authorization'] = basicHeader(cred);
    return this.fetchToken(url, { method: 'GET', headers });
  }
}

function basicHeader(cred: Credential): string {
  const secret = cred.kind === 'basic' ? cred.password : cred.token;
  return `Basic ${Buffer.from(`${cred.username}:${secret}`, 'utf8').toString('base64')}`;
}
