import { errorMessage, truncateForMessage } from '../../core/index.js';
import type { Warnings } from './problems.js';
import type { ReadFilesOptions } from './types.js';

export type Summarize = NonNullable<ReadFilesOptions['summarize']>;

/**
 * Runs a caller's reducer over one file's bytes. The bytes come from an untrusted image and the
 * reducer is the caller's parser, so its failure is a warning about that file and the read goes
 * on; undefined is kept as the result then.
 */
export function runReducer(
  reducer: (content: Buffer) => unknown,
  content: Buffer,
  path: string,
  where: string,
  warnings: Warnings,
): unknown {
  try {
    return reducer(content);
  } catch (err) {
    warnings.add(`${where}: could not summarize "${truncateForMessage(path)}": ${errorMessage(err)}`);
    return undefined;
  }
}
