import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, UpstreamError, jsonBody, parseWith } from '@parley/platform';
import { principalOf, type Access } from '../auth/access.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import type { ChatServiceRelay } from '../proxy/chat-service-relay.js';

export interface FeedbackRoutesOptions {
  /** FEEDBACK_ENABLED: off, POST /api/v1/feedback answers 404 and nothing reaches chat-service. */
  enabled: boolean;
  access: Access;
  audit: AuditRecorder;
  relay: ChatServiceRelay;
  maxBodyBytes: number;
}

/** Feedback is switched off (FEEDBACK_ENABLED=false). */
export class FeedbackDisabledError extends AppError {
  readonly status = 404;
  readonly code = 'feedback_disabled';
  readonly title = 'Not found';
}

/** chat-service applies the configured comment limit (FEEDBACK_COMMENT_MAX_CHARS); this is the hard ceiling at the edge. */
const COMMENT_CEILING = 10_000;
const RATING = z.enum(['up', 'down']);

const feedbackBody = z.strictObject({
  message_id: z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'must be a message id from this session'),
  rating: RATING,
  comment: z
    .string()
    .max(COMMENT_CEILING, `must be at most ${COMMENT_CEILING} characters`)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .optional(),
});

const datetime = z.iso.datetime({ offset: true });
const adminQuery = z
  .strictObject({
    since: datetime.optional(),
    until: datetime.optional(),
    rating: RATING.optional(),
    cursor: z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be a next_cursor from a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), { path: ['since'], message: 'must be earlier than until' });

/** What chat-service answers an admin read with (checked: it is another service's response). */
const feedbackPage = z.object({
  feedback: z.array(
    z.object({
      id: z.string(),
      session_id: z.string(),
      message_id: z.string(),
      rating: RATING,
      comment: z.string().nullable(),
      created_at: z.string(),
    }),
  ),
  next_cursor: z.string().nullable(),
});

/** Thumbs up/down on replies (session or key), and the admin read; both answered by chat-service. */
export function feedbackRoutes(options: FeedbackRoutesOptions): Router {
  const { access, audit, relay } = options;
  const router = Router();
  const switchedOn: RequestHandler = (_req, _res, next) => {
    next(options.enabled ? undefined : new FeedbackDisabledError('Feedback is switched off.'));
  };

  router.post('/api/v1/feedback', switchedOn, access.authenticate(), access.limitByPrincipal(), ...jsonBody({ limit: options.maxBodyBytes }), async (req, res) => {
    const body = parseWith(feedbackBody, req.body);
    relay.send(res, await relay.call(req, res, { route: '/api/v1/feedback', method: 'POST', path: '/api/v1/feedback', body }));
  });

  router.get('/api/v1/admin/feedback', access.authenticate(), access.limitByPrincipal(), access.requireRole('admin'), async (req, res) => {
    const q = parseWith(adminQuery, req.query, 'query');
    // Rebuilt from what was validated: nothing else from the client's query string goes on.
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(q)) if (value !== undefined) query.set(key, String(value));
    const reply = await relay.call(req, res, { route: '/api/v1/admin/feedback', method: 'GET', path: `/api/v1/admin/feedback?${query}` });
    res.setHeader('Cache-Control', 'no-store');
    if (reply.status !== 200) return void relay.send(res, reply);
    let page: z.output<typeof feedbackPage>;
    try {
      page = feedbackPage.parse(JSON.parse(reply.text));
    } catch (err) {
      throw new UpstreamError('The chat service answered with an unexpected feedback page.', { cause: err });
    }
    // Reading what users wrote is recorded before it is handed out.
    const actor = principalOf(res);
    await audit.record(req, res, {
      type: 'feedback.read',
      principal: actor.id,
      principal_kind: actor.kind,
      outcome: 'success',
      details: { returned: page.feedback.length, ...(q.rating ? { rating: q.rating } : {}) },
    });
    res.json(page);
  });

  return router;
}
