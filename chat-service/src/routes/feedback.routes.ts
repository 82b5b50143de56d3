import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { ForbiddenError, identityOf, jsonBody, locals, parseWith, requireInternalIdentity, type IdentityVerifier } from '@parley/platform';
import { FeedbackDisabledError, RATINGS, isStreamId, type FeedbackService } from '../feedback/index.js';

export interface FeedbackRoutesOptions {
  feedback: FeedbackService;
  verifier: IdentityVerifier;
  /** FEEDBACK_ENABLED: off, new ratings get 404; reading, export and erasure keep working. */
  enabled: boolean;
  maxCommentChars: number;
}

const messageId = z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'must be a message id from this session');
const datetime = z.iso.datetime({ offset: true });

export const adminQuerySchema = z
  .strictObject({
    since: datetime.optional(),
    until: datetime.optional(),
    rating: z.enum(RATINGS).optional(),
    cursor: z.string().max(64).refine(isStreamId, 'must be a next_cursor from a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), { path: ['since'], message: 'must be earlier than until' });

/** Optional free text: well-formed, no NUL, trimmed, at most `max` characters; blank means none. */
function commentSchema(max: number) {
  return z
    .string()
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .transform((s) => s.trim())
    .refine((s) => s.length <= max, `must be at most ${max} characters`)
    .transform((s) => (s.length > 0 ? s : null));
}

/** Thumbs up/down on replies (the session, identity sub) and the admin read. Comments are never logged. */
export function feedbackRoutes(options: FeedbackRoutesOptions): Router {
  const { feedback } = options;
  const router = Router();
  const identity = requireInternalIdentity(options.verifier);
  const body = z.strictObject({
    message_id: messageId,
    rating: z.enum(RATINGS),
    comment: commentSchema(options.maxCommentChars).optional(),
  });
  const switchedOn: RequestHandler = (_req, _res, next) => {
    next(options.enabled ? undefined : new FeedbackDisabledError('Feedback is switched off.'));
  };
  const adminOnly: RequestHandler = (_req, res, next) => {
    next(identityOf(res).role === 'admin' ? undefined : new ForbiddenError('Reading feedback needs the admin role.'));
  };

  router.post('/api/v1/feedback', identity, switchedOn, ...jsonBody({ limit: '64kb' }), async (req, res) => {
    const input = parseWith(body, req.body);
    const { entry, replaced } = await feedback.submit(identityOf(res).sub, { messageId: input.message_id, rating: input.rating, comment: input.comment ?? null });
    locals(res).log.info({ rating: entry.rating, replaced, has_comment: entry.comment !== null }, 'feedback recorded');
    res.status(202).json({ message_id: entry.message_id, rating: entry.rating, created_at: entry.created_at, replaced });
  });

  router.get('/api/v1/admin/feedback', identity, adminOnly, async (req, res) => {
    const q = parseWith(adminQuerySchema, req.query, 'query');
    const page = await feedback.list({
      ...(q.since ? { since: new Date(q.since) } : {}),
      ...(q.until ? { until: new Date(q.until) } : {}),
      ...(q.rating ? { rating: q.rating } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
      limit: q.limit,
    });
    locals(res).log.info({ returned: page.feedback.length }, 'feedback read');
    res.setHeader('Cache-Control', 'no-store');
    res.json(page);
  });

  return router;
}
