import { describe, it, expect } from 'vitest';
import { DIGEST_GRAMMAR_RE, DOMAIN_RE, IDENTIFIER_RE, PATH_COMPONENT_RE } from './grammar.js';

// Tables from github.com/distribution/reference regexp_test.go.

describe('DOMAIN_RE', () => {
  it.each([
    ['test.com', true],
    ['test.com:10304', true],
    ['test.com:http', false],
    ['localhost', true],
    ['localhost:8080', true],
    ['a', true],
    ['a.b', true],
    ['ab.cd.com', true],
    ['a-b.com', true],
    ['-ab.com', false],
    ['ab-.com', false],
    ['ab.c-om', true],
    ['ab.-com', false],
    ['ab.com-', false],
    ['0101.com', true],
    ['001a.com', true],
    ['b.gbc.io:443', true],
    ['b.gbc.io', true],
    ['xn--n3h.com', true],
    ['Asdf.com', true],
    // The grammar admits any digits as a port; connecting is what fails for 750050.
    ['192.168.1.1:75050', true],
    ['192.168.1.1:750050', true],
    ['[fd00:1:2::3]:75050', true],
    ['[fd00:1:2::3]75050', false],
    ['[fd00:1:2::3]::75050', false],
    ['[fd00:1:2::3%eth0]:75050', false],
    ['[fd00123123123]:75050', true],
    ['[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050', true],
    ['[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505', true],
    ['fd00:1:2::3:75050', false],
    ['', false],
    ['a..b', false],
    ['a.', false],
  ] as const)('matches %s: %s', (input, expected) => {
    expect(DOMAIN_RE.test(input)).toBe(expected);
  });
});

describe('PATH_COMPONENT_RE', () => {
  it.each([
    ['a', true],
    ['foo_bar', true],
    ['foo_bar.com', true],
    ['do__cker', true],
    ['aa-a', true],
    ['a---b', true],
    ['xn--7o8h.com', true],
    ['_foo', false],
    ['foo_', false],
    ['foo-', false],
    ['-foo', false],
    ['a___b', false],
    ['a..b', false],
    ['a_.b', false],
    ['a-.b', false],
    ['.a', false],
    ['A', false],
    ['a/b', false],
    ['', false],
  ] as const)('matches %s: %s', (input, expected) => {
    expect(PATH_COMPONENT_RE.test(input)).toBe(expected);
  });
});

describe('DIGEST_GRAMMAR_RE', () => {
  it.each([
    [`sha256:${'a'.repeat(64)}`, true],
    [`sha256+b64u.x-y_z:${'A'.repeat(32)}`, true],
    [`sha256:${'a'.repeat(31)}`, false],
    [`2bad:${'a'.repeat(32)}`, false],
    ['bad', false],
    [`sha256:${'g'.repeat(64)}`, false],
  ] as const)('matches %s: %s', (input, expected) => {
    expect(DIGEST_GRAMMAR_RE.test(input)).toBe(expected);
  });
});

describe('IDENTIFIER_RE', () => {
  it.each([
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', true],
    ['7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C', false],
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf', false],
    ['sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', false],
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482', false],
  ] as const)('matches %s: %s', (input, expected) => {
    expect(IDENTIFIER_RE.test(input)).toBe(expected);
  });
});
