import { LlmUnavailableError } from '@parley/platform';
import { NOTICES } from './notices.js';
import { OutputGuard, type GuardResult } from './output-guard.js';
import { buildMessages, fitToContext } from './prompt.js';
import type {
  ChatMessage,
  ConversationStore,
  FinishReason,
  Language,
  LlmChunk,
  LlmClient,
  LlmRequest,
  SafetyAction,
  SafetyClient,
  StoredMessage,
  Usage,
} from './ports.js';

export interface ChatConfig {
  model: string;
  maxTokens: number;
  temperature: number;
  systemPrompts: Record<Language, string>;
  /** Added after the system prompt, e.g. a site assistant's role; empty for none. */
  persona?: string | undefined;
  /** Messages of history read for each turn. */
  historyLimit: number;
  /** The model's context window in tokens: history is cut so prompt + max_tokens fit. */
  contextTokens: number;
  /** Streamed output is released only after safety-service checked it: see OutputGuard. */
  safetyWindowChars: number;
  safetyHoldbackChars: number;
  safetyFlushMs: number;
  /** When every model fails: answer this (marked `degraded`) instead of a 503. */
  fallbackMessages?: Record<Language, string> | undefined;
}

export interface ChatDeps {
  llm: LlmClient;
  safety: SafetyClient;
  store: ConversationStore;
  config: ChatConfig;
  newId: () => string;
  now: () => Date;
}

export interface ChatTurn {
  sessionId: string;
  message: string;
  language: Language;
}

/** A stateless exchange (the OpenAI-compatible API): the caller sends the whole conversation. */
export interface ChatCompletionInput {
  messages: ChatMessage[];
  model: string;
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  language: Language;
}

export interface TurnOutcome {
  finish_reason: FinishReason;
  usage: Usage;
  /** Estimated spend for this turn (price table × reported usage), so the gateway can hold the cost budget. */
  cost_usd: number;
  safety: { action: SafetyAction };
  /** The model that answered (a fallback when the requested one failed). */
  model: string;
  /** The localized text shown instead of a blocked reply. */
  notice?: string;
  /** The answer is the configured fallback message, not a model's. */
  degraded?: true;
}

export interface ChatReply extends TurnOutcome {
  message_id: string;
  reply: string;
}

export type ChatEvent =
  | { type: 'meta'; message_id: string; model: string }
  | { type: 'delta'; text: string }
  | ({ type: 'done' } & TurnOutcome);

const SEVERITY: Record<SafetyAction, number> = { allow: 0, redact: 1, block: 2 };
const worst = (a: SafetyAction, b: SafetyAction): SafetyAction => (SEVERITY[b] > SEVERITY[a] ? b : a);
const NO_USAGE: Usage = { input_tokens: 0, output_tokens: 0 };

/** The user's messages after the input check: the worst action, the (redacted) texts, and whether a finding was self-harm. */
interface CheckedInputs {
  action: SafetyAction;
  texts: string[];
  selfHarm: boolean;
}

/** What the two entry points (a conversation turn, a stateless completion) have in common. */
interface Exchange {
  messageId: string;
  language: Language;
  /** Texts checked with direction `input` before any LLM call. */
  inputs: string[];
  /** The request to send, from the checked (possibly redacted) inputs. */
  request(checked: string[]): Promise<LlmRequest>;
  /** Keeps the answered exchange (the conversation path); `reply` is what the user saw. */
  remember?(checked: string[], reply: string): Promise<void>;
}

/** The chat use case: input check, prompt, LLM call, output check, history. */
export class ChatService {
  constructor(private readonly deps: ChatDeps) {}

  async history(sessionId: string): Promise<StoredMessage[]> {
    return this.deps.store.history(sessionId, 1000);
  }

  /** Erases the session's conversation; returns how many messages were removed. */
  async erase(sessionId: string): Promise<number> {
    return this.deps.store.erase(sessionId);
  }

  /** One complete reply to a conversation turn, checked as a whole before it is returned. */
  reply(turn: ChatTurn, signal: AbortSignal): Promise<ChatReply> {
    return this.replyTo(this.turnExchange(turn), signal);
  }

  /** Streams a reply to a conversation turn: see `streamFor`. */
  stream(turn: ChatTurn, signal: AbortSignal): Promise<AsyncIterable<ChatEvent>> {
    return this.streamFor(this.turnExchange(turn), signal);
  }

  /** A stateless completion (OpenAI-compatible API), with the same checks as a turn. */
  complete(input: ChatCompletionInput, signal: AbortSignal): Promise<ChatReply> {
    return this.replyTo(this.completionExchange(input), signal);
  }

  streamCompletion(input: ChatCompletionInput, signal: AbortSignal): Promise<AsyncIterable<ChatEvent>> {
    return this.streamFor(this.completionExchange(input), signal);
  }

  private turnExchange(turn: ChatTurn): Exchange {
    const { config, store } = this.deps;
    const messageId = this.deps.newId();
    return {
      messageId,
      language: turn.language,
      inputs: [turn.message],
      request: async ([userText = '']) => {
        const history = await store.history(turn.sessionId, config.historyLimit);
        const system = [config.systemPrompts[turn.language], config.persona].filter(Boolean).join('\n\n');
        return {
          model: config.model,
          messages: fitToContext(buildMessages(system, history, userText), config.contextTokens - config.maxTokens),
          maxTokens: config.maxTokens,
          temperature: config.temperature,
        };
      },
      remember: async ([userText = ''], reply) => {
        const at = this.deps.now().toISOString();
        await store.append(turn.sessionId, { id: this.deps.newId(), role: 'user', content: userText, created_at: at });
        if (reply.length > 0) await store.append(turn.sessionId, { id: messageId, role: 'assistant', content: reply, created_at: at });
      },
    };
  }

  private completionExchange(input: ChatCompletionInput): Exchange {
    const { config } = this.deps;
    // Every user message is checked; system and assistant messages are the caller's own.
    const userIndexes = input.messages.flatMap((m, i) => (m.role === 'user' ? [i] : []));
    return {
      messageId: this.deps.newId(),
      language: input.language,
      inputs: userIndexes.map((i) => input.messages[i]?.content ?? ''),
      request: async (checked) => {
        const messages = input.messages.map((m) => ({ ...m }));
        userIndexes.forEach((index, n) => {
          const message = messages[index];
          if (message) message.content = checked[n] ?? message.content;
        });
        return { model: input.model, messages, maxTokens: input.maxTokens ?? config.maxTokens, temperature: input.temperature ?? config.temperature };
      },
    };
  }

  /** Checks every input; the worst action wins, and redacted texts replace the originals. */
  private async checkInputs(exchange: Exchange, signal: AbortSignal): Promise<CheckedInputs> {
    const results = await Promise.all(
      exchange.inputs.map((text) => this.deps.safety.moderate({ text, direction: 'input', language: exchange.language }, signal)),
    );
    return {
      action: results.reduce<SafetyAction>((a, r) => worst(a, r.action), 'allow'),
      texts: results.map((r) => r.text),
      selfHarm: results.some((r) => r.findings.some((f) => f.category === 'harm.self_harm')),
    };
  }

  private async replyTo(exchange: Exchange, signal: AbortSignal): Promise<ChatReply> {
    const { llm, safety } = this.deps;
    const input = await this.checkInputs(exchange, signal);
    if (input.action === 'block') return this.blockedInput(exchange, input);

    const request = await exchange.request(input.texts);
    let completion;
    try {
      completion = await llm.complete(request, signal);
    } catch (err) {
      const fallback = this.fallbackMessage(err, exchange);
      if (!fallback) throw err;
      await exchange.remember?.(input.texts, fallback);
      return { message_id: exchange.messageId, reply: fallback, ...this.degraded(request.model, input.action) };
    }
    const model = completion.model ?? request.model;
    const cost = completion.costUsd ?? 0;
    const output = await safety.moderate({ text: completion.text, direction: 'output', language: exchange.language }, signal);
    if (output.action === 'block') return this.blockedReply(exchange, 'output', input.texts, completion.usage, cost, model);

    await exchange.remember?.(input.texts, output.text);
    return {
      message_id: exchange.messageId,
      reply: output.text,
      finish_reason: completion.finishReason,
      usage: completion.usage,
      cost_usd: cost,
      safety: { action: worst(input.action, output.action) },
      model,
    };
  }

  /**
   * Streams a reply. Resolves once the input is checked and the LLM stream is open, so a
   * failure up to then is still an ordinary error with a status; after that, failures are
   * thrown from the iterator and the route turns them into a terminal `error` event.
   * Output is released only in windows that safety-service has checked.
   */
  private async streamFor(exchange: Exchange, signal: AbortSignal): Promise<AsyncIterable<ChatEvent>> {
    const { llm, safety, config, now } = this.deps;
    const input = await this.checkInputs(exchange, signal);
    if (input.action === 'block') {
      return events(exchange.messageId, await this.blockedInput(exchange, input));
    }

    // Our own controller too, so a blocked window can stop the generation we no longer want.
    const stop = new AbortController();
    const upstreamSignal = AbortSignal.any([signal, stop.signal]);
    const request = await exchange.request(input.texts);
    let chunks: AsyncIterable<LlmChunk>;
    try {
      chunks = await llm.stream(request, upstreamSignal);
    } catch (err) {
      const fallback = this.fallbackMessage(err, exchange);
      if (!fallback) throw err;
      await exchange.remember?.(input.texts, fallback);
      return events(exchange.messageId, { reply: fallback, ...this.degraded(request.model, input.action) });
    }
    return (async function* (): AsyncGenerator<ChatEvent> {
      const guard = new OutputGuard((text) => safety.moderate({ text, direction: 'output', language: exchange.language, stream: true }, signal), {
        windowChars: config.safetyWindowChars,
        holdbackChars: config.safetyHoldbackChars,
        flushMs: config.safetyFlushMs,
        now: () => now().getTime(),
      });
      let released = '';
      let finishReason: FinishReason = 'stop';
      let usage: Usage | undefined;
      let cost = 0;
      let outputChars = 0;
      let model = request.model;
      let metaSent = false;
      const usageOrEstimate = () => usage ?? estimate(request.messages, outputChars);
      const meta = (): ChatEvent => ({ type: 'meta', message_id: exchange.messageId, model });

      try {
        for await (const chunk of chunks) {
          let step: GuardResult | undefined;
          if (chunk.type === 'response') {
            // The resilient client says first which model answers (a fallback, perhaps).
            model = chunk.model;
            continue;
          }
          if (!metaSent) {
            metaSent = true;
            yield meta();
          }
          if (chunk.type === 'text') {
            outputChars += chunk.text.length;
            step = await guard.push(chunk.text);
          } else if (chunk.type === 'finish') {
            finishReason = chunk.finishReason;
          } else {
            usage = chunk.usage;
            cost = chunk.costUsd ?? 0;
          }
          if (step?.kind === 'block') break;
          if (step?.kind === 'release') {
            released += step.text;
            yield { type: 'delta', text: step.text };
          }
        }
        if (!metaSent) yield meta();
        if (guard.action === 'block') {
          stop.abort(new Error('output blocked by safety policy'));
          const notice = NOTICES.outputBlocked[exchange.language];
          await exchange.remember?.(input.texts, notice);
          yield { type: 'done', finish_reason: 'content_filter', usage: usageOrEstimate(), cost_usd: cost, safety: { action: 'block' }, model, notice };
          return;
        }
        const last = await guard.finish();
        if (last.kind === 'release') {
          released += last.text;
          yield { type: 'delta', text: last.text };
        }
        if (last.kind === 'block') {
          const notice = NOTICES.outputBlocked[exchange.language];
          await exchange.remember?.(input.texts, notice);
          yield { type: 'done', finish_reason: 'content_filter', usage: usageOrEstimate(), cost_usd: cost, safety: { action: 'block' }, model, notice };
          return;
        }
        await exchange.remember?.(input.texts, released);
        yield { type: 'done', finish_reason: finishReason, usage: usageOrEstimate(), cost_usd: cost, safety: { action: worst(input.action, guard.action) }, model };
      } finally {
        // Ends the upstream call if the consumer stopped early (client gone, error, block).
        if (!stop.signal.aborted) stop.abort(new Error('stream closed'));
      }
    })();
  }

  /** A blocked message: the policy notice, or where to find help when it spoke of self-harm. */
  private blockedInput(exchange: Exchange, input: CheckedInputs): Promise<ChatReply> {
    const notice = (input.selfHarm ? NOTICES.selfHarmSupport : NOTICES.inputBlocked)[exchange.language];
    return this.blockedReply(exchange, 'input', input.texts, NO_USAGE, 0, this.deps.config.model, notice);
  }

  private async blockedReply(
    exchange: Exchange,
    direction: 'input' | 'output',
    checked: string[],
    usage: Usage,
    cost: number,
    model: string,
    notice: string = NOTICES.outputBlocked[exchange.language],
  ): Promise<ChatReply> {
    // A blocked message is never kept: it would go back to the model with the next turn's history.
    if (direction === 'output') await exchange.remember?.(checked, notice);
    return { message_id: exchange.messageId, reply: notice, finish_reason: 'content_filter', usage, cost_usd: cost, safety: { action: 'block' }, model, notice };
  }

  /** The configured fallback message when every model failed, else undefined (the error stands). */
  private fallbackMessage(err: unknown, exchange: Exchange): string | undefined {
    if (!(err instanceof LlmUnavailableError)) return undefined;
    return this.deps.config.fallbackMessages?.[exchange.language];
  }

  private degraded(model: string, inputAction: SafetyAction): TurnOutcome {
    return { finish_reason: 'stop', usage: NO_USAGE, cost_usd: 0, safety: { action: inputAction }, model, degraded: true };
  }
}

/** A reply decided before any model call, as the events a stream would carry. */
function events(messageId: string, reply: Omit<ChatReply, 'message_id'>): AsyncIterable<ChatEvent> {
  const { reply: text, ...outcome } = reply;
  return (async function* (): AsyncGenerator<ChatEvent> {
    yield { type: 'meta', message_id: messageId, model: outcome.model };
    if (text.length > 0 && !outcome.notice) yield { type: 'delta', text };
    yield { type: 'done', ...outcome };
  })();
}

/** Rough token estimate (4 characters a token) when the provider sends no usage. */
function estimate(messages: { content: string }[], outputChars: number): Usage {
  const inputChars = messages.reduce((n, m) => n + m.content.length, 0);
  return { input_tokens: Math.ceil(inputChars / 4), output_tokens: Math.ceil(outputChars / 4) };
}
