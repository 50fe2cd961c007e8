// Shared by the token-service and request-auth tests (not a recorded fixture: built in memory).
// A private project `team` with developer `dev` and pull-only robot `robot$team+ci`, and a
// public project `pub`, in an in-memory SQLite account store, with a signer and verifier.
import Database from 'better-sqlite3';
import { addProject, addRobot, addUser } from '../accounts.js';
import { SqliteAccountStore } from '../sqlite-store.js';
import {
  createTokenSigner,
  createTokenVerifier,
  generateSigningKey,
  type TokenSigner,
  type TokenVerifier,
} from '../token.js';

export const FIXTURE_SERVICE = 'registry.test';
export const DEV_PASSWORD = 'dev-password-1';

export type AccountsFixture = {
  readonly store: SqliteAccountStore;
  readonly signer: TokenSigner;
  readonly verifier: TokenVerifier;
  readonly robotToken: string;
  close(): void;
};

export async function createAccountsFixture(): Promise<AccountsFixture> {
  const signer = createTokenSigner({ privateKey: generateSigningKey(), issuer: 'portcullis' });
  const verifier = createTokenVerifier({
    publicKeys: [signer.publicKey],
    issuer: 'portcullis',
    audience: FIXTURE_SERVICE,
  });
  const db = new Database(':memory:');
  const store = new SqliteAccountStore(db);
  await addProject(store, { name: 'team' });
  await addProject(store, { name: 'pub', public: true });
  await addUser(store, { name: 'dev', password: DEV_PASSWORD });
  await store.setMember('team', 'dev', 'developer');
  const { token } = await addRobot(store, {
    name: 'ci',
    project: 'team',
    permissions: [{ project: 'team', actions: ['pull'] }],
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  return { store, signer, verifier, robotToken: token, close: () => db.close() };
}

/** An Authorization header with Basic credentials. */
export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
