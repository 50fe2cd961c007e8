import type { Finding, Severity } from '../types.js';

/** One entry of `.portcullisignore.yaml`. */
export type IgnoreEntry = {
  /** A vulnerability id; matches the finding's id or any of its aliases. */
  readonly id: string;
  /** Only for this package name (`openssl`, `@babel/core`, `org.x:lib`). */
  readonly package?: string;
  /** Only for packages matching this purl (without version: every version). */
  readonly purl?: string;
  /** Why the finding is accepted; shown in reports. */
  readonly reason: string;
  /** `YYYY-MM-DD`: the entry applies through this day (UTC) and stops applying after it. */
  readonly expires?: string;
  /** Line of the entry in the ignore file, for messages. */
  readonly line?: number;
};

/** OpenVEX 0.2.0 statuses (https://github.com/openvex/spec, "Status Labels"). */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** OpenVEX 0.2.0 justifications for `not_affected`. */
export type VexJustification =
  | 'component_not_present'
  | 'vulnerable_code_not_present'
  | 'vulnerable_code_not_in_execute_path'
  | 'vulnerable_code_cannot_be_controlled_by_adversary'
  | 'inline_mitigations_already_exist';

/** A product a VEX statement names, with the subcomponents it narrows the statement to. */
export type VexProduct = {
  /** The product's `@id` or identifiers: purls, or the image digest / reference. */
  readonly ids: readonly string[];
  readonly subcomponents: readonly (readonly string[])[];
};

/** One OpenVEX statement, as read by `parseOpenVex`. */
export type VexStatement = {
  /** The vulnerability's name and aliases (and `@id` when given). */
  readonly vulnerability: readonly string[];
  readonly products: readonly VexProduct[];
  readonly status: VexStatus;
  readonly justification?: VexJustification;
  readonly impactStatement?: string;
  readonly statusNotes?: string;
  /** Statement time (or the document's); a later statement about the same thing wins. */
  readonly timestamp?: string;
  /** The document's `@id`, for reports. */
  readonly document?: string;
};

/** Why a finding is not counted. */
export type Suppression =
  | { readonly by: 'ignore'; readonly reason: string; readonly expires?: string }
  | {
      readonly by: 'vex';
      readonly status: 'not_affected' | 'fixed';
      readonly justification?: VexJustification;
      readonly impactStatement?: string;
      readonly document?: string;
    };

/** A finding together with the reason it does not count. */
export type SuppressedFinding = { readonly finding: Finding; readonly suppression: Suppression };

/** A finding left out by a filter (severity list, unfixed), not reported at all. */
export type FilteredFinding = { readonly finding: Finding; readonly by: 'severity' | 'unfixed' };

/** The image the findings are in, for VEX statements whose product is the image. */
export type PolicySubject = {
  /** Image purl (`pkg:oci/...`), manifest digest, reference: any of them may name the image in a VEX product. */
  readonly ids: readonly string[];
};

/** What `applyPolicy` is told. */
export type PolicyOptions = {
  /** Keep only findings of these severities (all when absent). */
  readonly severities?: readonly Severity[];
  /** Leave out findings that have no fixed version. */
  readonly ignoreUnfixed?: boolean;
  readonly ignore?: readonly IgnoreEntry[];
  readonly vex?: readonly VexStatement[];
  readonly subject?: PolicySubject;
  /** The time expiry is judged at. */
  readonly now: Date;
};

/** What `applyPolicy` decided. */
export type PolicyResult = {
  /** Findings that count (for reports and the exit code). */
  readonly kept: readonly Finding[];
  /** Findings accepted by an ignore entry or a VEX statement, with the reason. */
  readonly suppressed: readonly SuppressedFinding[];
  /** Findings left out by the severity list or `ignoreUnfixed`. */
  readonly filtered: readonly FilteredFinding[];
  /** Ignore entries past their expiry date: they no longer apply and should be renewed or removed. */
  readonly expiredIgnores: readonly IgnoreEntry[];
};
