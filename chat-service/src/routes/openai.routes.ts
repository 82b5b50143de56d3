import { trace } from '@opentelemetry/api';
import { Router, type Request, type Response } from 'express';
import {
  ModelNotFoundError,
  chatCompletionRequestSchema,
  identityOf,
  jsonBody,
  locals,
  parseWith,
  requireInternalIdentity,
  startSse,
  toAppError,
  type IdentityVerifier,
} from '@parley/platform';
import type { ChatCompletionInput, ChatReply, ChatService, TurnOutcome } from '../domain/chat.js';
import type { ChatMessage, Usage } from '../domain/ports.js';
import { firstTextOnce, type StreamMetrics } from './stream-metrics.js';

export interface OpenAiRoutesOptions {
  chat: ChatService;
  verifier: IdentityVerifier;
  /** The models callers may name. */
  models: () => string[];
  maxMessageChars: number;
  maxMessages: number;
  maxTokens: number;
  /** Seconds since the epoch, for `created`. */
  now: () => Date;
  streamMetrics?: StreamMetrics | undefined;
}

/** What the gateway reads from a reply to settle budgets and audit safety decisions (never shown to users). */
export interface ParleyReport {
  usage: Usage;
  cost_usd: number;
  safety: TurnOutcome['safety'];
  degraded?: true;
}

const report = (outcome: TurnOutcome): ParleyReport => ({
  usage: outcome.usage,
  cost_usd: outcome.cost_usd,
  safety: outcome.safety,
  ...(outcome.degraded ? { degraded: true as const } : {}),
});

const openAiUsage = (usage: Usage) => ({
  prompt_tokens: usage.input_tokens,
  completion_tokens: usage.output_tokens,
  total_tokens: usage.input_tokens + usage.output_tokens,
});

/**
 * The OpenAI-compatible API behind the gateway: `POST /v1/chat/completions` (streamed or not)
 * and `GET /v1/models`, with the same input and output checks, model fallbacks and telemetry
 * as the UI's chat. Errors use the OpenAI envelope (the platform picks it for /v1/ paths).
 */
export function openAiRoutes(options: OpenAiRoutesOptions): Router {
  const { chat } = options;
  const schema = chatCompletionRequestSchema(options);
  const router = Router();
  router.use('/v1', requireInternalIdentity(options.verifier));

  router.get('/v1/models', (_req, res) => {
    const created = 1_700_000_000;
    res.json({ object: 'list', data: options.models().map((id) => ({ id, object: 'model', created, owned_by: 'parley' })) });
  });

  router.get('/v1/models/:id', (req, res) => {
    const id = String(req.params['id']);
    if (!options.models().includes(id)) throw new ModelNotFoundError(`The model '${id}' does not exist or is not available.`);
    res.json({ id, object: 'model', created: 1_700_000_000, owned_by: 'parley' });
  });

  router.post('/v1/chat/completions', ...jsonBody({ limit: '1mb' }), async (req, res) => {
    const body = parseWith(schema, req.body);
    if (!options.models().includes(body.model)) {
      throw new ModelNotFoundError(`The model '${body.model}' does not exist or is not available; GET /v1/models lists the models.`);
    }
    const identity = identityOf(res);
    // Audit attributes on the server span: the pseudonymous principal and the safety decision, never text.
    const span = trace.getActiveSpan();
    span?.setAttribute('enduser.pseudo.id', identity.sub);
    const input: ChatCompletionInput = {
      model: body.model,
      messages: body.messages.map((m): ChatMessage => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.content })),
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      temperature: body.temperature ?? undefined,
      language: identity.lang ?? 'en',
    };
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const log = locals(res).log;
    const started = performance.now();
    const created = Math.floor(options.now().getTime() / 1000);

    if (body.stream !== true) {
      const reply = await chat.complete(input, controller.signal);
      span?.setAttribute('parley.safety.action', reply.safety.action);
      log.info({ api: 'openai', model: reply.model, finish_reason: reply.finish_reason, usage: reply.usage, safety_action: reply.safety.action, duration_ms: Math.round(performance.now() - started) }, 'chat completion');
      res.json(completion(reply, created));
      return;
    }
    await streamCompletion(req, res, chat, input, controller, { created, includeUsage: body.stream_options?.include_usage === true, started, streamMetrics: options.streamMetrics });
  });

  return router;
}

function completion(reply: ChatReply, created: number) {
  return {
    id: `chatcmpl-${reply.message_id}`,
    object: 'chat.completion',
    created,
    model: reply.model,
    choices: [{ index: 0, message: { role: 'assistant', content: reply.reply, refusal: null }, finish_reason: reply.finish_reason, logprobs: null }],
    usage: openAiUsage(reply.usage),
    // Extension members are ignored by OpenAI clients; the gateway reads them.
    parley: report(reply),
  };
}

/**
 * Streams chat.completion.chunk objects as `data:` lines and ends with `data: [DONE]`. The
 * gateway's report goes in an SSE comment, which clients ignore. A failure after the first
 * byte ends the stream with an OpenAI `{"error":...}` data line (the SDKs throw it), never a
 * clean end.
 */
async function streamCompletion(
  req: Request,
  res: Response,
  chat: ChatService,
  input: ChatCompletionInput,
  controller: AbortController,
  options: { created: number; includeUsage: boolean; started: number; streamMetrics: StreamMetrics | undefined },
): Promise<void> {
  const log = locals(res).log;
  const span = trace.getActiveSpan();
  // Errors up to here are ordinary HTTP errors (OpenAI envelope); after the first byte they are error data lines.
  const events = await chat.streamCompletion(input, controller.signal);
  const sse = startSse(req, res);
  let id = 'chatcmpl-unknown';
  let model = input.model;
  let released = false;
  const firstText = firstTextOnce(options.streamMetrics, 'openai', options.started);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    JSON.stringify({ id, object: 'chat.completion.chunk', created: options.created, model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] });
  try {
    for await (const event of events) {
      if (sse.closed) break;
      if (event.type === 'meta') {
        id = `chatcmpl-${event.message_id}`;
        model = event.model;
        sse.data(chunk({ role: 'assistant', content: '' }, null));
      } else if (event.type === 'delta') {
        released = true;
        sse.data(chunk({ content: event.text }, null));
        firstText();
      } else {
        // A blocked reply ends with the localized notice (what was released before it had passed the checks).
        if (event.notice) {
          sse.data(chunk({ content: released ? `\n\n${event.notice}` : event.notice }, null));
          firstText();
        }
        sse.data(chunk({}, event.finish_reason));
        if (options.includeUsage) {
          sse.data(JSON.stringify({ id, object: 'chat.completion.chunk', created: options.created, model, choices: [], usage: openAiUsage(event.usage) }));
        }
        sse.comment(`parley ${JSON.stringify(report(event))}`);
        span?.setAttribute('parley.safety.action', event.safety.action);
        sse.data('[DONE]');
        log.info({ api: 'openai', model, finish_reason: event.finish_reason, usage: event.usage, safety_action: event.safety.action, duration_ms: Math.round(performance.now() - options.started), stream: true }, 'chat completion');
      }
    }
  } catch (err) {
    if (!sse.closed) {
      const error = toAppError(err);
      log.warn({ err, code: error.code }, 'stream failed after start');
      sse.data(JSON.stringify({ error: { message: error.detail, type: 'server_error', code: error.code, param: null } }));
    }
  } finally {
    sse.end();
  }
}
