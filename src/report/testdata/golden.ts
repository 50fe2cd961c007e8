// Test-only: compares a rendered report with its golden file; UPDATE_GOLDEN=1 rewrites the file.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

function read(name: string, text: string): string {
  const file = path.join(import.meta.dirname, name);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
  return readFileSync(file, 'utf8');
}

/** Byte-for-byte, for text reports. */
export function expectGolden(name: string, text: string): void {
  expect(text).toBe(read(name, text));
}

/** As parsed JSON, so that Prettier's re-wrapping of the checked-in file does not matter. */
export function expectGoldenJson(name: string, text: string): void {
  expect(JSON.parse(text)).toEqual(JSON.parse(read(name, text)));
}
