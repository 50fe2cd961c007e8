import type { RuleMeta } from './types.js';

/**
 * Where the repository's files are published. Reports link rule pages here because SARIF
 * readers (GitHub code scanning among them) need absolute `helpUri`s, and a link into the
 * repository stays valid for every reader, not only those with a checkout.
 */
export const PROJECT_URL = 'https://github.com/portcullis-dev/portcullis/blob/main/';

/** The absolute URL of a rule's docs page (`rule.docs` is repository-relative). */
export function ruleDocsUrl(rule: Pick<RuleMeta, 'docs'>): string {
  return new URL(rule.docs.replace(/^\/+/, ''), PROJECT_URL).href;
}

/** The project's home page (the repository root), for SARIF's `informationUri`. */
export const PROJECT_HOME = new URL('../../', PROJECT_URL).href;
