// The ELF reader on a real executable of this machine (/bin/true from coreutils, the same in
// every Debian image) and on copies of it with hostile header fields. Field offsets are the
// ELF64 ones of the System V ABI.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { isElf, parseElf, sectionBytes } from './elf.js';
import { FormatError } from './format-error.js';

const BINARY = '/bin/true';
let real: Buffer;
let readelfNames: string[];

beforeAll(async () => {
  real = await readFile(BINARY);
  const { stdout } = await promisify(execFile)('readelf', ['-SW', BINARY]);
  readelfNames = stdout.split('\n').flatMap((l) => {
    const m = /^\s*\[\s*\d+\]\s+(?:(\S+)\s+)?[A-Z][A-Z_0-9+x]*\s+[0-9a-f]{8,}\s/.exec(l);
    return m ? [m[1] ?? ''] : [];
  });
});

type Case = {
  readonly name: string;
  readonly damage: (b: Buffer) => Buffer;
  /** Expected outcome: thrown, or what the parse shows. */
  readonly throws?: RegExp;
  readonly sections?: 'none' | 'unnamed' | 'all';
  readonly segments?: 'none' | 'some';
};

const cases: Case[] = [
  {
    name: 'an intact binary lists every section and segment',
    damage: (b) => b,
    sections: 'all',
    segments: 'some',
  },
  {
    name: 'a file cut inside the header is refused',
    damage: (b) => b.subarray(0, 40),
    throws: /shorter than its header/,
  },
  {
    name: 'an unknown class is refused',
    damage: (b) => {
      b[4] = 3;
      return b;
    },
    throws: /neither 32- nor 64-bit/,
  },
  {
    name: 'an unknown byte order is refused',
    damage: (b) => {
      b[5] = 9;
      return b;
    },
    throws: /neither LSB nor MSB/,
  },
  {
    name: 'a section table past the end of the file reads as no sections',
    damage: (b) => {
      b.writeBigUInt64LE(BigInt(b.length + 4096), 0x28);
      return b;
    },
    sections: 'none',
    segments: 'some',
  },
  {
    name: 'a section count that does not fit the file reads as no sections',
    damage: (b) => {
      b.writeUInt16LE(0xfffe, 0x3c);
      return b;
    },
    sections: 'none',
    segments: 'some',
  },
  {
    name: 'a section entry size below the ELF64 minimum reads as no sections',
    damage: (b) => {
      b.writeUInt16LE(8, 0x3a);
      return b;
    },
    sections: 'none',
    segments: 'some',
  },
  {
    name: 'a string table index out of range leaves sections unnamed',
    damage: (b) => {
      b.writeUInt16LE(0xfff0, 0x3e);
      return b;
    },
    sections: 'unnamed',
    segments: 'some',
  },
  {
    name: 'a program header table at a 2^63 offset reads as no segments',
    damage: (b) => {
      b.writeBigUInt64LE(1n << 63n, 0x20);
      return b;
    },
    sections: 'all',
    segments: 'none',
  },
  {
    name: 'a file cut in half keeps the sections whose bytes are still there',
    damage: (b) => b.subarray(0, Math.floor(b.length / 2)),
    sections: 'none',
    segments: 'some',
  },
];

describe('the ELF reader', () => {
  it.each(cases)('$name', (c) => {
    const buf = c.damage(Buffer.from(real));
    if (c.throws) {
      expect(() => parseElf(buf)).toThrow(FormatError);
      expect(() => parseElf(buf)).toThrow(c.throws);
      return;
    }
    const elf = parseElf(buf);
    if (elf === undefined) throw new Error('not ELF');
    expect(elf.bits).toBe(64);
    const names = elf.sections.map((s) => s.name);
    if (c.sections === 'all') expect(names).toEqual(readelfNames);
    if (c.sections === 'none') expect(names).toEqual([]);
    if (c.sections === 'unnamed') expect(names.every((n) => n === '')).toBe(true);
    if (c.segments === 'none') expect(elf.segments).toEqual([]);
    if (c.segments === 'some') expect(elf.segments.length).toBeGreaterThan(2);
    for (const s of [...elf.sections, ...elf.segments])
      expect(s.offset + s.size).toBeLessThanOrEqual(buf.length);
  });

  it('gives the bytes of a named section, and nothing for an absent one', () => {
    const elf = parseElf(real);
    if (elf === undefined) throw new Error('not ELF');
    expect(sectionBytes(real, elf, '.shstrtab')?.toString('latin1')).toContain('.text');
    expect(sectionBytes(real, elf, '.go.buildinfo')).toBeUndefined();
  });

  it('does not take other files for ELF', () => {
    expect(isElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
    expect(parseElf(Buffer.from('\x7fEL', 'latin1'))).toBeUndefined();
  });
});
