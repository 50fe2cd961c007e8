import { errorMessage, truncateForMessage } from '../../core/index.js';
import type { Warnings } from './problems.js';
import type { ReadFilesOptions } from './types.js';

export type Summarize = NonNullable<ReadFilesOptions['summarize']>;

/** A reducer's result, or the warning that replaced it when the reducer threw. */
export type Reduced = { readonly summary: unknown; readonly warning: string | undefined };

/** Runs a caller's reducer, turning its failure into a warning message (see `runReducer`). */
export function reduceContent(
  reducer: (content: Buffer) => unknown,
  content: Buffer,
  path: string,
  where: string,
): Reduced {
  try {
    return { summary: reducer(content), warning: undefined };
  } catch (err) {
    return {
      summary: undefined,
      warning: `${where}: could not summarize "${truncateForMessage(path)}": ${errorMessage(err)}`,
    };
  }
}

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
  const { summary, warning } = reduceContent(reducer, content, path, where);
  if (warning !== undefined) warnings.add(warning);
  return summary;
}
