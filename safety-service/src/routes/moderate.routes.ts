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
import { withClassifierScores, type ClassifierScore } from '../domain/classifier.js';
import type { Moderator } from '../domain/engine.js';
import { holdFrom } from '../domain/stream-hold.js';
import { DIRECTIONS, LANGUAGES, type Category, type Direction } from '../domain/types.js';
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

/** The model classifier as the route sees it (adapters/guarded-classifier.ts): undefined when it could not answer. */
export interface ClassifierGate {
  classify(text: string, signal: AbortSignal): Promise<ClassifierScore[] | undefined>;
}

export interface ModerateRouteDeps {
  moderator: Moderator;
  telemetry: ModerationTelemetry;
  verifier: IdentityVerifier;
  maxTextChars: number;
  /** The optional second opinion (SAFETY_CLASSIFIER); absent when off. */
  classifier?: { gate: ClassifierGate; threshold: number; rule: string; ruleFor: (category: Category, direction: Direction) => string } | undefined;
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
    async (req, res) => {
      const request = parseWith(moderateBodySchema, req.body);
      if (request.text.length > deps.maxTextChars) {
        throw new TextTooLongError(
          `text has ${request.text.length} characters; the limit is ${deps.maxTextChars}. Split it and check each part.`,
          { extensions: { max_chars: deps.maxTextChars } },
        );
      }
      const details = {
        direction: request.direction,
        language: request.language,
        caller: identityOf(res).issuer,
        text: request.text,
        traceId: locals(res).traceId,
      };
      const classifier = deps.classifier;
      // Streamed windows skip the classifier: a model call per window would hold every chunk back.
      if (!classifier || request.stream) {
        const result = deps.telemetry.check(details, () => deps.moderator.moderate(request));
        res.json(request.stream ? { ...result, hold_from: holdFrom(request.text) } : result);
        return;
      }
      // A caller that goes away cancels the classifier call (not counted against the upstream).
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      const result = await deps.telemetry.checkAsync(details, async () => {
        const decided = deps.moderator.moderate(request);
        // Already a block: a second opinion cannot make it stricter.
        if (decided.action === 'block') return decided;
        const scores = await classifier.gate.classify(request.text, gone.signal);
        if (!scores) return decided;
        return withClassifierScores(decided, request.text, scores, {
          threshold: classifier.threshold,
          direction: request.direction,
          ruleFor: classifier.ruleFor,
          rule: classifier.rule,
        });
      });
      res.json(result);
    },
  );
  router.all('/v1/moderate', methodNotAllowed(['POST']));
  return router;
}
