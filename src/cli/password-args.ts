import { UsageError } from './io.js';

// Kept apart from image-target.ts: runCli checks every argv before dispatch, and importing
// image-target there would load the whole OCI stack on every start (lint included).

/** Refuses password-bearing flags before anything else sees argv, without echoing the value. */
export function refusePasswordArguments(argv: readonly string[]): void {
  for (const a of argv) {
    if (a === '--password' || a.startsWith('--password=') || a === '-p') {
      throw new UsageError(
        'passwords are not accepted as arguments (other users can read them from the process list); use --username NAME --password-stdin',
      );
    }
  }
}
