import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { digestOf, parseDigest, tryParseDigest, VerifyingStream } from './digest.js';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('parseDigest', () => {
  it.each([
    [EMPTY, true],
    [`sha512:${'a'.repeat(128)}`, true],
    [`sha256:${'A'.repeat(64)}`, false],
    [`sha256:${'a'.repeat(63)}`, false],
    [`sha384:${'a'.repeat(96)}`, false],
    ['sha256:', false],
    ['', false],
    [`md5:${'a'.repeat(32)}`, false],
  ])('%s valid=%s', (input, valid) => {
    expect(tryParseDigest(input) !== undefined).toBe(valid);
    if (!valid) expect(() => parseDigest(input)).toThrow(/invalid digest/);
  });

  it('names the input in the error', () => {
    expect(() => parseDigest('sha256:nothex')).toThrow(/"sha256:nothex"/);
  });
});

async function drain(data: Buffer, v: VerifyingStream): Promise<void> {
  await pipeline(
    Readable.from([data]),
    v,
    new Writable({
      write: (_c, _e, cb) => {
        cb();
      },
    }),
  );
}

describe('VerifyingStream', () => {
  it('passes content that matches digest and size', async () => {
    await expect(drain(Buffer.alloc(0), new VerifyingStream(parseDigest(EMPTY), 0))).resolves.toBeUndefined();
  });

  it('fails with DIGEST_MISMATCH naming the expected digest', async () => {
    const d = digestOf('hello');
    await expect(drain(Buffer.from('hellp'), new VerifyingStream(d, 5))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining(d) as unknown,
    });
  });

  it.each([
    ['shorter', 'hell'],
    ['longer', 'hello!'],
  ])('fails with SIZE_MISMATCH when content is %s than promised', async (_what, content) => {
    await expect(
      drain(Buffer.from(content), new VerifyingStream(digestOf('hello'), 5)),
    ).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
  });
});
