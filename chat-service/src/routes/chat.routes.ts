import { trace } from '@opentelemetry/api';
import { Router } from 'express';
import { z } from 'zod';
import {
  NotAcceptableError,
  identityOf,
  jsonBody,
  locals,
  parseWith,
  requireInternalIdentity,
  startSse,
  toAppError,
  type IdentityVerifier,
} from '@parley/platform';
import type { ChatService } from '../domain/chat.js';
import type { SessionFeedback } from '../feedback/index.js';
import { firstTextOnce, type StreamMetrics } from './stream-metrics.js';

export interface ChatRoutesOptions {
  chat: ChatService;
  verifier: IdentityVerifier;
  maxMessageChars: number;
  /** The session's feedback: part of its export, erased with it. */
  feedback?: SessionFeedback | undefined;
  streamMetrics?: StreamMetrics | undefined;
}

const languageSchema = z.enum(['en', 'de', 'fr']);

export function chatRoutes(options: ChatRoutesOptions): Router {
  const { chat } = options;
  const router = Router();
  const chatBody = z.object({
    message: z.string().trim().min(1, 'must not be empty').max(options.maxMessageChars, `must be at most ${options.maxMessageChars} characters`),
    language: languageSchema.optional(),
  });
  router.use('/api/v1', requireInternalIdentity(options.verifier));

  router.post('/api/v1/chat', ...jsonBody({ limit: '64kb' }), async (req, res) => {
    const body = parseWith(chatBody, req.body);
    const identity = identityOf(res);
    // Audit attributes on the server span: the pseudonymous session id and the safety decision, never text.
    const span = trace.getActiveSpan();
    span?.setAttribute('enduser.pseudo.id', identity.sub);
    const turn = { sessionId: identity.sub, message: body.message, language: body.language ?? identity.lang ?? 'en' };
    const format = req.accepts(['application/json', 'text/event-stream']);
    if (format === false) throw new NotAcceptableError('Accept application/json or text/event-stream.');

    // A client that goes away aborts the upstream call.
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const log = locals(res).log;
    const started = performance.now();

    if (format === 'application/json') {
      const reply = await chat.reply(turn, controller.signal);
      span?.setAttribute('parley.safety.action', reply.safety.action);
      log.info({ finish_reason: reply.finish_reason, usage: reply.usage, safety_action: reply.safety.action, duration_ms: Math.round(performance.now() - started) }, 'chat turn');
      res.json(reply);
      return;
    }

    // Errors up to here are ordinary HTTP errors; after the first byte they become `error` events.
    const events = await chat.stream(turn, controller.signal);
    const sse = startSse(req, res);
    const firstText = firstTextOnce(options.streamMetrics, 'ui', started);
    try {
      for await (const event of events) {
        if (sse.closed) break;
        const { type, ...data } = event;
        sse.send(type, data);
        if (event.type === 'delta' || (event.type === 'done' && event.notice)) firstText();
        if (event.type === 'done') {
          span?.setAttribute('parley.safety.action', event.safety.action);
          log.info({ finish_reason: event.finish_reason, usage: event.usage, safety_action: event.safety.action, duration_ms: Math.round(performance.now() - started), stream: true }, 'chat turn');
        }
      }
    } catch (err) {
      if (!sse.closed) {
        const error = toAppError(err);
        log.warn({ err, code: error.code }, 'stream failed after start');
        sse.send('error', { code: error.code, message: error.detail, retryable: error.retryable });
      }
    } finally {
      sse.end();
    }
  });

  router.get('/api/v1/history', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ messages: await chat.history(identityOf(res).sub) });
  });

  router.get('/api/v1/sessions/current/export', async (_req, res) => {
    const sessionId = identityOf(res).sub;
    res.setHeader('Cache-Control', 'no-store');
    const feedback = options.feedback ? { feedback: await options.feedback.export(sessionId) } : {};
    res.json({ session_id: sessionId, exported_at: new Date().toISOString(), messages: await chat.history(sessionId), ...feedback });
  });

  router.delete('/api/v1/sessions/current', async (_req, res) => {
    const removed = await chat.erase(identityOf(res).sub);
    const feedbackRemoved = options.feedback ? await options.feedback.erase(identityOf(res).sub) : 0;
    locals(res).log.info({ messages_removed: removed, feedback_removed: feedbackRemoved }, 'session data erased');
    res.status(204).end();
  });

  return router;
}
