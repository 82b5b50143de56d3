import { once } from 'node:events';
import { context } from '@opentelemetry/api';
import { jsonBody, locals, parseWith, type Logger } from '@parley/platform';
import type { Request, RequestHandler, Response } from 'express';
import { untilAborted, type Clock } from '../clock.js';
import { ModelNotFoundError } from '../errors.js';
import { faultLabel, type ResolvedFault } from '../faults.js';
import {
  chatCompletionRequestSchema,
  chunk,
  completion,
  completionMeta,
  faultError,
  messageText,
  requestId,
  usage,
  usageChunk,
  type CompletionMeta,
  type FinishReason,
} from '../openai-shapes.js';
import { mergeOverrides, parseDirectives, parseHeaderOverrides, stripDirectives } from '../overrides.js';
import type { Outcome, Simulator } from '../simulator.js';
import { conversationDigest, countPromptTokens, generateReply, seedOf, splitTokens } from '../text.js';

export interface CompletionsDeps {
  simulator: Simulator;
  logger: Logger;
  clock: Clock;
  /** Model ids from config; used for strict checking and as the metric/log allowlist. */
  models: readonly string[];
  strictModels: boolean;
  /** Aborts at shutdown: requests that would hang forever (timeout, stall) end then. */
  stopping: AbortSignal | undefined;
}

/** What the simulator knows about one chat completion while it is answered. */
export interface Exchange {
  readonly started: number;
  /** Aborts when the response closes, for whatever reason: every timer listens to it. */
  readonly controller: AbortController;
  /** We closed the connection on purpose (reset, cut, shutdown of hung work): not a client cancellation. */
  serverClosed: boolean;
  /** Waiting for nothing (timeout, stall): shutdown may close it at once. */
  hanging: boolean;
  fault?: ResolvedFault;
  model?: string;
  stream: boolean;
  answering: boolean;
  promptTokens: number;
  completionTokens: number;
  finishReason?: FinishReason;
  ttftMs?: number;
}

const exchanges = new WeakMap<Response, Exchange>();

/** The exchange trackCompletions opened for this response (chat completions and moderations alike). */
export function exchangeOf(res: Response): Exchange {
  const exchange = exchanges.get(res);
  if (!exchange) throw new Error('chat completion route mounted without its tracker');
  return exchange;
}

/**
 * Counts every request of an OpenAI-style route (rejected ones too), tracks in-flight work, logs
 * and records how it ended. `logMessage` names the route in the log ("chat completion", "moderation").
 */
export function trackCompletions(deps: CompletionsDeps, logMessage = 'chat completion'): RequestHandler {
  const { simulator, clock, stopping } = deps;
  const known = new Set(deps.models);
  const logger = deps.logger.child({ component: logMessage === 'chat completion' ? 'completions' : 'moderations' });
  return (_req, res, next) => {
    // The close event may fire in another context (a socket's); log in the request's trace.
    const requestContext = context.active();
    const exchange: Exchange = {
      started: clock.now(),
      controller: new AbortController(),
      serverClosed: false,
      hanging: false,
      stream: false,
      answering: false,
      promptTokens: 0,
      completionTokens: 0,
    };
    exchanges.set(res, exchange);
    simulator.requestStarted();
    const onStopping = (): void => {
      if (exchange.hanging && !res.writableEnded) {
        exchange.serverClosed = true;
        res.destroy();
      }
    };
    stopping?.addEventListener('abort', onStopping, { once: true });
    res.once('close', () => {
      stopping?.removeEventListener('abort', onStopping);
      exchange.controller.abort();
      const finished = res.writableFinished;
      const cancelled = !finished && !exchange.serverClosed && !stopping?.aborted;
      let outcome: Outcome;
      if (exchange.fault) outcome = 'fault';
      else if (cancelled) outcome = 'cancelled';
      else if (!finished) outcome = 'shutdown';
      else if (res.statusCode >= 500) outcome = 'error';
      else if (res.statusCode >= 400) outcome = 'rejected';
      else outcome = 'completed';
      simulator.requestEnded(outcome, cancelled);
      if (exchange.answering) simulator.tokensUsed(exchange.promptTokens, exchange.completionTokens);
      const model = exchange.model === undefined ? undefined : known.has(exchange.model) ? exchange.model : 'other';
      const fields = {
        model,
        stream: exchange.stream,
        outcome,
        status: res.statusCode,
        ...(cancelled ? { cancelled: true } : {}),
        ...(exchange.fault ? { fault: faultLabel(exchange.fault) } : {}),
        ...(exchange.answering
          ? {
              prompt_tokens: exchange.promptTokens,
              completion_tokens: exchange.completionTokens,
              finish_reason: exchange.finishReason ?? null,
            }
          : {}),
        ...(exchange.ttftMs === undefined ? {} : { ttft_ms: exchange.ttftMs }),
        latency_ms: clock.now() - exchange.started,
      };
      context.with(requestContext, () => logger.info(fields, logMessage));
    });
    next();
  };
}

function sendFault(res: Response, fault: Extract<ResolvedFault, { kind: 'status' }>): void {
  const retryAfterSeconds =
    fault.retryAfterSeconds ?? (fault.retryAfterMs === undefined ? undefined : Math.ceil(fault.retryAfterMs / 1000));
  if (fault.retryAfterMs !== undefined) res.setHeader('retry-after-ms', String(fault.retryAfterMs));
  if (retryAfterSeconds !== undefined) res.setHeader('retry-after', String(retryAfterSeconds));
  res.setHeader('x-llm-sim-fault', faultLabel(fault));
  res.status(fault.status).json({ error: { ...faultError(fault.status), param: null, trace_id: locals(res).traceId } });
}

/** Writes respecting backpressure; false once the client has gone. */
async function write(res: Response, payload: string | Uint8Array, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return false;
  if (res.write(payload)) return true;
  try {
    await once(res, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}

/** Ends the connection mid-response after flushing what was written: the client sees a truncated body. */
function cut(res: Response, exchange: Exchange): void {
  exchange.serverClosed = true;
  const socket = res.socket;
  if (socket) socket.destroySoon();
  else res.destroy();
}

/** Waits `ms` unless the exchange ends first; false means stop, the client is gone. */
export async function pause(clock: Clock, ms: number, exchange: Exchange): Promise<boolean> {
  if (exchange.controller.signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await clock.sleep(ms, exchange.controller.signal);
    return true;
  } catch {
    return false;
  }
}

/** Never answers: waits until the client gives up (or shutdown closes the connection). */
async function hang(res: Response, exchange: Exchange, stopping: AbortSignal | undefined): Promise<void> {
  exchange.hanging = true;
  if (stopping?.aborted) {
    exchange.serverClosed = true;
    res.destroy();
    return;
  }
  await untilAborted(exchange.controller.signal);
}

/**
 * Records `fault` and injects the kinds that replace the whole answer (reset, timeout, HTTP
 * status). True when the request is done; stall and cut are left to the answer.
 */
export async function injectFault(
  deps: Pick<CompletionsDeps, 'simulator' | 'stopping'>,
  req: Request,
  res: Response,
  exchange: Exchange,
  fault: ResolvedFault,
): Promise<boolean> {
  exchange.fault = fault;
  deps.simulator.faultInjected(fault);
  switch (fault.kind) {
    case 'reset':
      exchange.serverClosed = true;
      // RST, not FIN: the client sees ECONNRESET before any byte of a response.
      req.socket.resetAndDestroy();
      return true;
    case 'timeout':
      await hang(res, exchange, deps.stopping);
      return true;
    case 'status':
      sendFault(res, fault);
      return true;
    default:
      return false;
  }
}

/** A non-streamed JSON answer; with a stall or cut, headers and half the body, then silence or a closed socket. */
export async function sendJson(
  res: Response,
  exchange: Exchange,
  body: string,
  fault: ResolvedFault | undefined,
  stopping: AbortSignal | undefined,
): Promise<void> {
  if (fault?.kind !== 'stall' && fault?.kind !== 'cut') {
    res.status(200).type('application/json').send(body);
    return;
  }
  const bytes = Buffer.from(body);
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(bytes.length));
  await write(res, bytes.subarray(0, Math.floor(bytes.length / 2)), exchange.controller.signal);
  if (fault.kind === 'cut') cut(res, exchange);
  else await hang(res, exchange, stopping);
}

interface Answer {
  meta: CompletionMeta;
  tokens: string[];
  finishReason: FinishReason;
  promptTokens: number;
  includeUsage: boolean;
  ttftMs: number;
  tokensPerSecond: number;
  latencyMs: number | undefined;
  fault: Extract<ResolvedFault, { kind: 'stall' | 'cut' }> | undefined;
}

export function completionsHandler(deps: CompletionsDeps): RequestHandler[] {
  const { simulator, clock } = deps;
  const models = new Set(deps.models);

  const wait = (ms: number, exchange: Exchange): Promise<boolean> => pause(clock, ms, exchange);

  const answerJson = async (res: Response, exchange: Exchange, answer: Answer): Promise<void> => {
    const sequential = answer.tokensPerSecond > 0 ? (answer.tokens.length * 1000) / answer.tokensPerSecond : 0;
    if (!(await wait(answer.latencyMs ?? answer.ttftMs + sequential, exchange))) return;
    const content = answer.tokens.join('');
    const body = JSON.stringify(
      completion(answer.meta, content, answer.finishReason, usage(answer.promptTokens, answer.tokens.length)),
    );
    exchange.completionTokens = answer.tokens.length;
    exchange.finishReason = answer.finishReason;
    await sendJson(res, exchange, body, answer.fault, deps.stopping);
  };

  const answerStream = async (res: Response, exchange: Exchange, answer: Answer): Promise<void> => {
    const { meta, tokens, includeUsage, fault } = answer;
    const signal = exchange.controller.signal;
    if (!(await wait(answer.ttftMs, exchange))) return;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    simulator.streamStarted();
    const send = (payload: unknown): Promise<boolean> => write(res, `data: ${JSON.stringify(payload)}\n\n`, signal);
    if (!(await send(chunk(meta, { role: 'assistant', content: '', refusal: null }, null, includeUsage)))) return;
    const firstTokenAt = clock.now();
    exchange.ttftMs = firstTokenAt - exchange.started;
    for (let i = 0; i <= tokens.length; i += 1) {
      if (fault && i === Math.min(fault.after, tokens.length)) {
        if (fault.kind === 'cut') cut(res, exchange);
        else await hang(res, exchange, deps.stopping);
        return;
      }
      const token = tokens[i];
      if (token === undefined) break;
      if (i > 0 && answer.tokensPerSecond > 0) {
        const due = firstTokenAt + (i * 1000) / answer.tokensPerSecond;
        if (!(await wait(due - clock.now(), exchange))) return;
      }
      if (!(await send(chunk(meta, { content: token }, null, includeUsage)))) return;
      exchange.completionTokens = i + 1;
    }
    exchange.finishReason = answer.finishReason;
    if (!(await send(chunk(meta, {}, answer.finishReason, includeUsage)))) return;
    if (includeUsage && !(await send(usageChunk(meta, usage(answer.promptTokens, tokens.length))))) return;
    if (!(await write(res, 'data: [DONE]\n\n', signal))) return;
    res.end();
    simulator.streamCompleted();
  };

  const handler: RequestHandler = async (req: Request, res: Response) => {
    const exchange = exchangeOf(res);
    // As OpenAI does; the SDK exposes it as `_request_id` / `requestID`, errors included.
    res.setHeader('x-request-id', requestId());
    const body = parseWith(chatCompletionRequestSchema, req.body);
    exchange.model = body.model;
    exchange.stream = body.stream === true;
    if (deps.strictModels && !models.has(body.model)) {
      throw new ModelNotFoundError(`The model \`${body.model.slice(0, 64)}\` does not exist or you do not have access to it.`);
    }
    const messages = body.messages.map((m) => ({ role: m.role, text: messageText(m.content) }));
    const lastUser = messages.findLast((m) => m.role === 'user');
    const overrides = mergeOverrides(parseDirectives(lastUser?.text ?? ''), parseHeaderOverrides(req.headers));
    const digest = conversationDigest(
      body.model,
      messages.map((m) => ({ role: m.role, text: stripDirectives(m.text).trim() })),
    );
    const fault = simulator.chooseFault(overrides.fault, `${digest}|${overrides.faultSpec ?? ''}`);
    if (fault && (await injectFault(deps, req, res, exchange, fault))) return;

    const settings = simulator.settings;
    const text =
      overrides.reply ??
      (overrides.echo
        ? stripDirectives(lastUser?.text ?? '').trim()
        : generateReply(seedOf(digest), overrides.replyTokens ?? settings.reply_tokens));
    let tokens = splitTokens(text);
    const limit = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    const finishReason: FinishReason = limit !== undefined && tokens.length > limit ? 'length' : 'stop';
    if (finishReason === 'length') tokens = tokens.slice(0, limit);

    exchange.answering = true;
    exchange.promptTokens = countPromptTokens(messages);
    const latencyMs = overrides.latencyMs ?? settings.latency_ms ?? undefined;
    const answer: Answer = {
      meta: completionMeta(body.model, clock.now()),
      tokens,
      finishReason,
      promptTokens: exchange.promptTokens,
      includeUsage: body.stream_options?.include_usage === true,
      ttftMs: overrides.ttftMs ?? settings.ttft_ms,
      tokensPerSecond: overrides.tokensPerSecond ?? settings.tokens_per_second,
      latencyMs,
      fault: fault?.kind === 'stall' || fault?.kind === 'cut' ? fault : undefined,
    };
    if (exchange.stream) await answerStream(res, exchange, answer);
    else await answerJson(res, exchange, answer);
  };

  return [...jsonBody({ limit: '1mb' }), handler];
}
