import type { OsInfo } from '../../inventory/index.js';
import type { SuppressedFinding } from '../gate/index.js';
import type { ScanResult } from '../types.js';

/** The scanned thing as reports name it. */
export type ReportTarget = {
  /** What the user asked for (`alpine:3.19`, `oci:./layout:tag`). */
  readonly name: string;
  /** Manifest digest, when the target has one. */
  readonly digest?: string;
  /** The resolved reference the image was read from. */
  readonly reference: string;
};

/** The program that wrote the report. */
export type ReportTool = { readonly name: string; readonly version: string };

/** What every report takes. `results.findings` are the findings that count (after the gate). */
export type ReportInput = {
  readonly target: ReportTarget;
  readonly os: OsInfo | undefined;
  readonly results: ScanResult;
  /** Findings a policy accepted (ignore file, VEX); reports show them marked, never as counted. */
  readonly suppressed?: readonly SuppressedFinding[];
  readonly tool?: ReportTool;
};

/** A JSON document as plain data, ready for JSON.stringify. */
export type JsonDocument = { readonly [key: string]: unknown };
