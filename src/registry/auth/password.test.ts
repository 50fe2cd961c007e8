import { describe, expect, it } from 'vitest';
import { assertPasswordAcceptable, hashPassword, verifyPassword } from './password.js';

describe('passwords', () => {
  it('are hashed with argon2id, salted, and verify', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword(a, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(b, 'correct horse battery')).toBe(true);
  });

  it('refuse a wrong password, a non-argon2id hash and garbage hashes', async () => {
    const h = await hashPassword('correct horse battery');
    expect(await verifyPassword(h, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(h, '')).toBe(false);
    expect(await verifyPassword(h.replace('$argon2id$', '$argon2i$'), 'correct horse battery')).toBe(false);
    expect(await verifyPassword('$argon2id$garbage', 'x')).toBe(false);
    expect(await verifyPassword('$2y$10$bcrypthash', 'x')).toBe(false);
    expect(await verifyPassword(h, 'x'.repeat(2000))).toBe(false);
  });

  it.each([
    ['s3cr!t', 'password too short'],
    ['x'.repeat(1025), 'password too long'],
  ])('refuse %# new passwords without echoing them', async (pw, why) => {
    expect(() => {
      assertPasswordAcceptable(pw);
    }).toThrow(why);
    await expect(hashPassword(pw)).rejects.toMatchObject({ code: 'PASSWORD_INVALID' });
    await hashPassword(pw).catch((err: unknown) => {
      expect((err as Error).message).not.toContain(pw);
    });
  });
});
