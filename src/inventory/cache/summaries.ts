// What the inventory keeps per summarized file, and how the layer cache stores it: every
// analyzer's result by analyzer id, plus the analyzers whose reducer threw, so a read from the
// cache reports the same warnings as the read that filled it.
import { errorMessage } from '../../core/index.js';
import { jsonSummaryCodec, type SummaryCodec } from '../../oci/index.js';

/**
 * Each analyzer's own summary of one file, by analyzer id. A class, so `summary()` can tell it
 * from anything else.
 */
export class Summaries extends Map<string, unknown> {
  /** Analyzers whose reducer threw on the file: id and message. */
  readonly failures: [string, string][] = [];
}

/** Reports an analyzer's reducer that threw on a file. */
export type SummarizeFailed = (analyzer: string, path: string, err: unknown) => void;

/** [id] for an undefined result, [id, value] otherwise. */
type Row = [string] | [string, unknown];
type Encoded = { readonly results: Row[]; readonly failures: [string, string][] };

/**
 * The layer cache's codec for `Summaries`: analyzers' results must be plain JSON data (the Go,
 * cargo-auditable and Java summaries are). Decoding reports the recorded failures again
 * through `failed`.
 *
 * @throws Error from `encode` for anything else, so that layer is not cached.
 */
export function summariesCodec(failed: SummarizeFailed): SummaryCodec {
  return {
    encode(summary) {
      if (!(summary instanceof Summaries)) throw new Error('not an inventory summary');
      const results: Row[] = [];
      for (const [id, value] of summary) {
        results.push(value === undefined ? [id] : [id, jsonSummaryCodec.encode(value)]);
      }
      const encoded: Encoded = { results, failures: summary.failures };
      return encoded;
    },
    decode(data, path) {
      const { results, failures } = data as Encoded;
      const out = new Summaries();
      for (const row of results) out.set(row[0], row[1]);
      for (const [id, message] of failures) {
        out.failures.push([id, message]);
        failed(id, path, message);
      }
      return out;
    },
  };
}

/** A failure as `Summaries.failures` records it. */
export function failureOf(id: string, err: unknown): [string, string] {
  return [id, errorMessage(err)];
}
