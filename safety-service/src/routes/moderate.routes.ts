import {
  identityOf,
  jsonBody,
  locals,
  methodNotAllowed,
  parseWith,
  requireInternalIdentity,
  type IdentityVerifier,
} from '@parley/platform';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Moderator } from '../domain/engine.js';
import { holdFrom } from '../domain/stream-hold.js';
import { DIRECTIONS, LANGUAGES } from '../domain/types.js';
import { TextTooLongError } from '../errors.js';
import type { ModerationTelemetry } from '../moderation-telemetry.js';

export const moderateBodySchema = z.object({
  text: z.string(),
  direction: z.enum(DIRECTIONS),
  language: z.enum(LANGUAGES).optional(),
  /**
   * Streaming mode: `text` is a window of a reply still being generated. The answer adds
   * `hold_from`, the offset from which a value may be unfinished (see domain/stream-hold.ts):
   * release only text before it, and send the rest again with the next chunks.
   */
  stream: z.boolean().optional(),
});

export interface ModerateRouteDeps {
  moderator: Moderator;
  telemetry: ModerationTelemetry;
  verifier: IdentityVerifier;
  maxTextChars: number;
}

/** Room for MAX_TEXT_CHARS of JSON-escaped text (\uXXXX is 6 bytes), never less than 256 kB. */
export function bodyLimitBytes(maxTextChars: number): number {
  return Math.max(256 * 1024, maxTextChars * 6 + 4096);
}

export function moderateRoutes(deps: ModerateRouteDeps): Router {
  const router = express.Router();
  router.post(
    '/v1/moderate',
    // Identity first: unauthenticated callers do not get their bodies parsed.
    requireInternalIdentity(deps.verifier),
    ...jsonBody({ limit: `${bodyLimitBytes(deps.maxTextChars)}b` }),
    (req, res) => {
      const request = parseWith(moderateBodySchema, req.body);
      if (request.text.length > deps.maxTextChars) {
        throw new TextTooLongError(
          `text has ${request.text.length} characters; the limit is ${deps.maxTextChars}. Split it and check each part.`,
          { extensions: { max_chars: deps.maxTextChars } },
        );
      }
      const result = deps.telemetry.check(
        {
          direction: request.direction,
          language: request.language,
          caller: identityOf(res).issuer,
          text: request.text,
          traceId: locals(res).traceId,
        },
        () => deps.moderator.moderate(request),
      );
      res.json(request.stream ? { ...result, hold_from: holdFrom(request.text) } : result);
    },
  );
  router.all('/v1/moderate', methodNotAllowed(['POST']));
  return router;
}
