// Where Debian's docker-registry (CNCF distribution 2.8.2) fails checks of this port, each
// with its reason. The suite registers these with `it.fails`, so when a check starts passing
// (a newer distribution, or a changed check) the run fails and the entry is removed. Our
// registry has no entry: every check passes against it.

const LIST_TAGS = 'Content Discovery > Test content discovery endpoints (listing tags)';
const CHUNKED = 'Push > Blob Upload Chunked';

/** Checks distribution 2.8 fails, by full name, with why. */
export const DISTRIBUTION_2_8_DIFFERENCES: Readonly<Record<string, string>> = {
  'Pull > Error codes > 400 response body should contain OCI-conforming JSON message':
    'a GET of the malformed digest reference sha256:totallywrong answers 500, not 400 or 404',
  [`${CHUNKED} > Out-of-order blob upload should return 416`]:
    'a PATCH whose Content-Range does not start at the upload offset is accepted with 202 (range checks came with distribution 3)',
  [`${CHUNKED} > Retry previous blob chunk should return 416`]:
    'upload state rides in the signed _state parameter of each Location; a Location from before the last chunk is stale and answers 404 BLOB_UPLOAD_UNKNOWN',
  [`${CHUNKED} > Get on stale blob upload should return 204 with a range and location`]:
    'the same stale _state: the status request answers 404 BLOB_UPLOAD_UNKNOWN',
  [`${LIST_TAGS} > GET request to list tags should yield 200 response`]:
    'tags are listed in storage order, not the lexical order this port also checks',
  [`${LIST_TAGS} > GET number of tags should be limitable by \`n\` query parameter`]:
    'the tag list ignores n and last (tag pagination came with distribution 3)',
  [`${LIST_TAGS} > GET start of tag is set by \`last\` query parameter`]:
    'the tag list ignores n and last (tag pagination came with distribution 3)',
  'Content Discovery > Teardown > Delete created manifest & associated tags':
    'a DELETE of a manifest by tag answers 400 DIGEST_INVALID: manifests are deleted by digest only',
  'Content Management > Manifest delete > DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)':
    'tag deletion is refused with 400 DIGEST_INVALID, where the spec asks for UNSUPPORTED',
};
