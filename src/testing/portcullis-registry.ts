import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import Database from 'better-sqlite3';
import {
  addProject,
  addUser,
  createTokenSigner,
  createTokenVerifier,
  FilesystemBlobStore,
  generateSigningKey,
  SqliteAccountStore,
  SqliteAuditLog,
  SqliteMetadataStore,
  startRegistryServer,
  type ProjectRole,
  type RegistryServer,
  type RegistryServerOptions,
  type TokenSigner,
} from '../registry/index.js';

/** A user of the test registry: system administrator, or members of projects with roles. */
export type TestUser = {
  readonly systemAdmin?: boolean;
  readonly roles?: Readonly<Record<string, ProjectRole>>;
};

export type StartPortcullisRegistryOptions = {
  /** Projects to create; `public: true` allows anonymous pulls. */
  readonly projects?: readonly { readonly name: string; readonly public?: boolean }[];
  /** Users by name (each gets a random password); an `admin` system administrator is always added. */
  readonly users?: Readonly<Record<string, TestUser>>;
  /** Service name in challenges and tokens. */
  readonly service?: string;
  /** Run without authentication (every request allowed), as a bare distribution registry. */
  readonly noAuth?: boolean;
  /** Further server options (TLS, hooks...), passed through. */
  readonly server?: Partial<Omit<RegistryServerOptions, 'host' | 'port' | 'blobs' | 'metadata' | 'auth'>>;
};

/** Our registry, in process on a loopback port, with its stores on a temporary directory. */
export type TestPortcullisRegistry = {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, the registry part of image references. */
  readonly host: string;
  /** The data directory (blobs, uploads, registry.db). */
  readonly dataDir: string;
  /** A scratch directory for the test's own files (layouts, auth files), removed by stop(). */
  readonly workDir: string;
  /** The service name in challenges and tokens. */
  readonly service: string;
  readonly server: RegistryServer;
  readonly blobs: FilesystemBlobStore;
  readonly metadata: SqliteMetadataStore;
  /** Undefined with `noAuth`. */
  readonly accounts: SqliteAccountStore | undefined;
  readonly audit: SqliteAuditLog | undefined;
  /**
   * The signer of the registry's tokens (undefined with `noAuth`), for tests that forge
   * expired or foreign-audience tokens with issueToken.
   */
  readonly signer: TokenSigner | undefined;
  /** The user's generated password (test-only; never printed by the helpers). */
  password(user: string): string;
  /** `Basic …` for the user. */
  basic(user: string): string;
  /** A Docker config.json (mode 0600) holding the user's credentials for this registry, for skopeo/buildah `--authfile`. */
  authFile(user: string): Promise<string>;
  /** A bearer token from `/token` for the user (undefined: anonymous) and scope. */
  token(user: string | undefined, scope: string): Promise<string>;
  stop(): Promise<void>;
};

export const TEST_SERVICE = 'portcullis-test';

/** Starts our registry with accounts, projects and roles for tests. */
export async function startPortcullisRegistry(
  opts: StartPortcullisRegistryOptions = {},
): Promise<TestPortcullisRegistry> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'portcullis-test-registry-'));
  const dataDir = path.join(work, 'data');
  const dbFile = path.join(dataDir, 'registry.db');
  const metadata = SqliteMetadataStore.open(dbFile);
  const blobs = new FilesystemBlobStore(dataDir);
  const service = opts.service ?? TEST_SERVICE;
  const passwords = new Map<string, string>();
  let db: Database.Database | undefined;
  let accounts: SqliteAccountStore | undefined;
  let audit: SqliteAuditLog | undefined;
  let signer: TokenSigner | undefined;
  let server: RegistryServer;
  try {
    let auth: RegistryServerOptions['auth'];
    if (opts.noAuth !== true) {
      db = new Database(dbFile);
      accounts = new SqliteAccountStore(db);
      audit = new SqliteAuditLog(db);
      const users: Record<string, TestUser> = { admin: { systemAdmin: true }, ...opts.users };
      for (const [name, u] of Object.entries(users)) {
        const pw = `${name.slice(0, 1)}-${randomBytes(12).toString('base64url')}`;
        passwords.set(name, pw);
        await addUser(accounts, { name, password: pw, systemAdmin: u.systemAdmin === true });
      }
      for (const p of opts.projects ?? [])
        await addProject(accounts, { name: p.name, public: p.public === true });
      for (const [name, u] of Object.entries(users)) {
        for (const [project, role] of Object.entries(u.roles ?? {}))
          await accounts.setMember(project, name, role);
      }
      const key = generateSigningKey();
      signer = createTokenSigner({ privateKey: key, issuer: service });
      auth = {
        store: accounts,
        audit,
        service,
        signer,
        verifier: createTokenVerifier({ publicKeys: [key], issuer: service, audience: service }),
      };
    }
    server = await startRegistryServer({
      ...opts.server,
      host: '127.0.0.1',
      port: 0,
      blobs,
      metadata,
      ...(auth === undefined ? {} : { auth }),
    });
  } catch (err) {
    db?.close();
    await metadata.close();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  const url = server.url;
  const host = new URL(url).host;
  const password = (user: string): string => {
    const pw = passwords.get(user);
    if (pw === undefined) throw new Error(`the test registry has no user ${user}`);
    return pw;
  };
  const basic = (user: string): string =>
    `Basic ${Buffer.from(`${user}:${password(user)}`).toString('base64')}`;
  return {
    url,
    host,
    dataDir,
    workDir: work,
    service,
    server,
    blobs,
    metadata,
    accounts,
    audit,
    signer,
    password,
    basic,
    async authFile(user) {
      const file = path.join(work, `auth-${user}-${randomBytes(4).toString('hex')}.json`);
      const auth = Buffer.from(`${user}:${password(user)}`).toString('base64');
      await writeFile(file, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
      return file;
    },
    async token(user, scope) {
      const res = await fetch(`${url}/token?service=${service}&scope=${encodeURIComponent(scope)}`, {
        headers: user === undefined ? {} : { authorization: basic(user) },
      });
      if (res.status !== 200) throw new Error(`/token answered ${res.status}`);
      return ((await res.json()) as { token: string }).token;
    },
    async stop() {
      await server.close();
      db?.close();
      await metadata.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** What {@link rawHttpRequest} received. */
export type RawHttpAnswer = {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
};

/**
 * One plain-HTTP request with the path sent exactly as written: fetch would resolve `../` and
 * normalize the URL first, which the name-trick tests must not let happen.
 */
export function rawHttpRequest(
  baseUrl: string,
  request: {
    readonly method: string;
    readonly path: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: Buffer | undefined;
  },
): Promise<RawHttpAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: request.headers,
      },
      (res) => {
        text(res).then((body) => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body });
        }, reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** The stores `portcullis serve` opens on a data directory (created), with an `admin` system administrator. */
export type ServeStores = {
  readonly dataDir: string;
  /** The registry.db connection the accounts, audit log and scan worker share. */
  readonly db: Database.Database;
  readonly accounts: SqliteAccountStore;
  readonly metadata: SqliteMetadataStore;
  close(): Promise<void>;
};

/** Opens the stores `portcullis serve` opens on `dataDir`, adding `admin` with `adminPassword`. */
export async function openServeStores(dataDir: string, adminPassword: string): Promise<ServeStores> {
  await mkdir(dataDir, { recursive: true });
  const metadata = SqliteMetadataStore.open(path.join(dataDir, 'registry.db'));
  const db = new Database(path.join(dataDir, 'registry.db'));
  const accounts = new SqliteAccountStore(db);
  await addUser(accounts, { name: 'admin', password: adminPassword, systemAdmin: true });
  return {
    dataDir,
    db,
    accounts,
    metadata,
    async close() {
      db.close();
      await metadata.close();
    },
  };
}
