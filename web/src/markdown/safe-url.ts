// The only link targets a message may carry. Everything else (javascript:, data:, vbscript:,
// file:, relative and protocol-relative URLs, which would resolve against the host page of the
// widget) is refused. Used by markdown-it's validateLink and again by the sanitizer.
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

// The scheme must be the very first characters: browsers ignore leading whitespace and
// control characters and tabs inside the scheme ("java\tscript:"), so a lenient check could
// be fooled; this one requires the literal prefix.
const SAFE_PREFIX = /^(?:https?:\/\/|mailto:)/i;

export function isSafeUrl(url: string): boolean {
  if (!SAFE_PREFIX.test(url)) return false;
  try {
    return SAFE_PROTOCOLS.has(new URL(url).protocol);
  } catch {
    return false;
  }
}
