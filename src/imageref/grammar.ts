// The image reference grammar of github.com/distribution/reference (reference.go, regexp.go),
// assembled from small pieces. Every piece is unambiguous (what one alternative consumes the
// next cannot), so a failed match backtracks linearly, and callers cap lengths before matching.

const seq = (...parts: string[]): string => parts.join('');
const group = (...parts: string[]): string => `(?:${seq(...parts)})`;
const maybe = (...parts: string[]): string => `${group(...parts)}?`;
const many = (...parts: string[]): string => `${group(...parts)}*`;
const whole = (...parts: string[]): RegExp => new RegExp(`^${seq(...parts)}$`);

const LOWER_ALNUM = '[a-z0-9]+';
// One period, one or two underscores, or any run of dashes, between alphanumeric runs.
const SEPARATOR = group('[._]|__|-+');
const PATH_COMPONENT = seq(LOWER_ALNUM, many(SEPARATOR, LOWER_ALNUM));

// Host labels may be upper-case: the grammar takes DNS names as written.
const DOMAIN_LABEL = group('[a-zA-Z0-9]', maybe('[a-zA-Z0-9-]*', '[a-zA-Z0-9]'));
const DOMAIN_NAME = seq(DOMAIN_LABEL, many('\\.', DOMAIN_LABEL));
// Bracketed IPv6 only; zone identifiers and IPv4-mapped forms are excluded on purpose.
const IPV6 = '\\[[a-fA-F0-9:]+\\]';
const HOST = group(DOMAIN_NAME, '|', IPV6);
const PORT = ':[0-9]+';

const TAG = '[\\w][\\w.-]{0,127}';

const ALGORITHM_COMPONENT = '[A-Za-z][A-Za-z0-9]*';
const DIGEST = seq(ALGORITHM_COMPONENT, many('[-_+.]', ALGORITHM_COMPONENT), ':[0-9a-fA-F]{32,}');

/** `host[:port]` as the first component of a name. */
export const DOMAIN_RE = whole(HOST, maybe(PORT));
/** One `/`-separated component of a repository path. */
export const PATH_COMPONENT_RE = whole(PATH_COMPONENT);
export const TAG_RE = whole(TAG);
/** Any digest the grammar admits; which algorithms are supported is decided separately. */
export const DIGEST_GRAMMAR_RE = whole(DIGEST);
/** A bare 64-hex image ID, which must not be mistaken for a repository name. */
export const IDENTIFIER_RE = whole('[a-f0-9]{64}');
