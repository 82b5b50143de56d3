import type { BudgetDecision, RateDecision } from './types.js';

/** An RFC 9651 structured-field string. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * A duration as OpenAI writes it in x-ratelimit-reset-* (Go's time.Duration format):
 * "0s", "850ms", "1s", "6m0s", "1h2m3s", "1.5s".
 */
export function formatResetDuration(seconds: number): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  if (totalMs === 0) return '0s';
  if (totalMs < 1000) return `${totalMs}ms`;
  const h = Math.floor(totalMs / 3_600_000);
  const m = Math.floor((totalMs % 3_600_000) / 60_000);
  const s = `${(totalMs % 60_000) / 1000}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

/** The decision a client should heed: a rejection first, then the lowest remaining, then the longest reset. */
export function mostRestrictive(decisions: readonly RateDecision[]): RateDecision | undefined {
  let best: RateDecision | undefined;
  for (const d of decisions) {
    if (
      !best ||
      (best.allowed && !d.allowed) ||
      (best.allowed === d.allowed &&
        (d.remaining < best.remaining || (d.remaining === best.remaining && d.resetSeconds > best.resetSeconds)))
    ) {
      best = d;
    }
  }
  return best;
}

/**
 * Response headers for the limits applied to a request: IETF RateLimit-Policy (every policy)
 * and RateLimit (the most restrictive), per draft-ietf-httpapi-ratelimit-headers, plus
 * OpenAI's x-ratelimit-*-requests (most restrictive rate decision) and x-ratelimit-*-tokens
 * (the token budget, when given). Retry-After is the error handler's job.
 */
export function rateLimitHeaders(decisions: RateDecision[], tokens?: BudgetDecision): Record<string, string> {
  const headers: Record<string, string> = {};
  const top = mostRestrictive(decisions);
  if (top) {
    headers['RateLimit-Policy'] = decisions.map((d) => `${sfString(d.policy.name)};q=${d.policy.limit};w=${d.policy.windowSeconds}`).join(', ');
    headers['RateLimit'] = `${sfString(top.policy.name)};r=${top.remaining};t=${top.resetSeconds}`;
    headers['x-ratelimit-limit-requests'] = String(top.policy.limit);
    headers['x-ratelimit-remaining-requests'] = String(top.remaining);
    headers['x-ratelimit-reset-requests'] = formatResetDuration(top.resetSeconds);
  }
  if (tokens) {
    headers['x-ratelimit-limit-tokens'] = String(tokens.policy.limit);
    headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(tokens.resetSeconds);
  }
  return headers;
}
