import { z } from 'zod';
import { IDENTITY_HEADER, SafetyUnavailableError, type IdentitySigner } from '@parley/platform';
import type { ModerationResult, SafetyClient } from '../domain/ports.js';
import { createNodeHttpFetch } from './node-http-fetch.js';

const moderationSchema = z.object({
  action: z.enum(['allow', 'redact', 'block']),
  text: z.string(),
  findings: z.array(z.object({ category: z.string(), rule: z.string(), start: z.number().int(), end: z.number().int() })),
  policy_version: z.string(),
  hold_from: z.number().int().min(0).optional(),
});

export interface HttpSafetyClientOptions {
  baseUrl: string;
  timeoutMs: number;
  signer: IdentitySigner;
  /**
   * Injected for tests; defaults to node:http, not the global fetch: a stream whose client hangs
   * up aborts its checks in flight, and the global fetch opens a spare connection for each
   * (see node-http-fetch.ts).
   */
  fetch?: typeof fetch;
}

/** safety-service over HTTP. Any failure is SafetyUnavailableError: callers fail closed. */
export function createHttpSafetyClient(options: HttpSafetyClientOptions): SafetyClient {
  const doFetch = options.fetch ?? createNodeHttpFetch();
  const url = new URL('/v1/moderate', options.baseUrl).toString();
  return {
    async moderate(input, signal): Promise<ModerationResult> {
      const identity = await options.signer.sign({ sub: 'chat-service', kind: 'service', role: 'service' }, 'safety-service');
      // A timer cleared as soon as the check is over, not AbortSignal.timeout: that one lives
      // for the whole timeout and keeps the request's signals and closures reachable until then
      // (thousands of window checks a second).
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new DOMException(`No answer within ${options.timeoutMs} ms.`, 'TimeoutError')), options.timeoutMs);
      try {
        let res: Response;
        try {
          res = await doFetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity },
            body: JSON.stringify(input),
            signal: AbortSignal.any([signal, timeout.signal]),
          });
        } catch (err) {
          if (signal.aborted) throw err;
          throw new SafetyUnavailableError('The safety check could not be reached.', { cause: err, retryAfterSeconds: 2 });
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new SafetyUnavailableError(`The safety check answered ${res.status}.`, { retryAfterSeconds: 2 });
        }
        const parsed = moderationSchema.safeParse(await res.json().catch(() => undefined));
        if (!parsed.success) throw new SafetyUnavailableError('The safety check answered in an unknown shape.', { retryAfterSeconds: 2 });
        return parsed.data;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
