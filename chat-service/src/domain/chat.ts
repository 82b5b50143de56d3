import { OutputGuard, type GuardResult } from './output-guard.js';
import { buildMessages } from './prompt.js';
import type {
  ConversationStore,
  FinishReason,
  Language,
  LlmClient,
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
  /** Messages of history sent with each turn (older ones are dropped). */
  historyLimit: number;
  /** Streamed output is released only after safety-service checked it: see OutputGuard. */
  safetyWindowChars: number;
  safetyHoldbackChars: number;
  safetyFlushMs: number;
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

export interface TurnOutcome {
  finish_reason: FinishReason;
  usage: Usage;
  safety: { action: SafetyAction };
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

  /** One complete reply, checked as a whole before it is returned. */
  async reply(turn: ChatTurn, signal: AbortSignal): Promise<ChatReply> {
    const { llm, safety } = this.deps;
    const messageId = this.deps.newId();
    const input = await safety.moderate({ text: turn.message, direction: 'input', language: turn.language }, signal);
    if (input.action === 'block') return this.blocked(messageId, 'block');

    const request = await this.request(turn, input.text);
    const completion = await llm.complete(request, signal);
    const output = await safety.moderate({ text: completion.text, direction: 'output', language: turn.language }, signal);
    const action = worst(input.action, output.action);
    if (output.action === 'block') return this.blocked(messageId, 'block', completion.usage);

    await this.remember(turn.sessionId, input.text, output.text, messageId);
    return { message_id: messageId, reply: output.text, finish_reason: completion.finishReason, usage: completion.usage, safety: { action } };
  }

  /**
   * Streams a reply. Resolves once the input is checked and the LLM stream is open, so a
   * failure up to then is still an ordinary error with a status; after that, failures are
   * thrown from the iterator and the route turns them into a terminal `error` event.
   * Output is released only in windows that safety-service has checked.
   */
  async stream(turn: ChatTurn, signal: AbortSignal): Promise<AsyncIterable<ChatEvent>> {
    const { llm, safety, config, now } = this.deps;
    const messageId = this.deps.newId();
    const input = await safety.moderate({ text: turn.message, direction: 'input', language: turn.language }, signal);
    const meta: ChatEvent = { type: 'meta', message_id: messageId, model: config.model };
    if (input.action === 'block') {
      const done = this.blocked(messageId, 'block');
      return (async function* () {
        yield meta;
        yield { type: 'done', finish_reason: done.finish_reason, usage: done.usage, safety: done.safety };
      })();
    }

    // Our own controller too, so a blocked window can stop the generation we no longer want.
    const stop = new AbortController();
    const upstreamSignal = AbortSignal.any([signal, stop.signal]);
    const request = await this.request(turn, input.text);
    const chunks = await llm.stream(request, upstreamSignal);
    const remember = (released: string) => this.remember(turn.sessionId, input.text, released, messageId);

    return (async function* (): AsyncGenerator<ChatEvent> {
      yield meta;
      const guard = new OutputGuard((text) => safety.moderate({ text, direction: 'output', language: turn.language }, signal), {
        windowChars: config.safetyWindowChars,
        holdbackChars: config.safetyHoldbackChars,
        flushMs: config.safetyFlushMs,
        now: () => now().getTime(),
      });
      let released = '';
      let finishReason: FinishReason = 'stop';
      let usage: Usage | undefined;
      let outputChars = 0;
      const usageOrEstimate = () => usage ?? estimate(request.messages, outputChars);

      try {
        for await (const chunk of chunks) {
          let step: GuardResult | undefined;
          if (chunk.type === 'text') {
            outputChars += chunk.text.length;
            step = await guard.push(chunk.text);
          } else if (chunk.type === 'finish') {
            finishReason = chunk.finishReason;
          } else {
            usage = chunk.usage;
          }
          if (step?.kind === 'block') break;
          if (step?.kind === 'release') {
            released += step.text;
            yield { type: 'delta', text: step.text };
          }
        }
        const last = guard.action === 'block' ? undefined : await guard.finish();
        if (last?.kind === 'release') {
          released += last.text;
          yield { type: 'delta', text: last.text };
        }
        await remember(released);
        if (guard.action === 'block') {
          stop.abort(new Error('output blocked by safety policy'));
          yield { type: 'done', finish_reason: 'content_filter', usage: usageOrEstimate(), safety: { action: 'block' } };
          return;
        }
        yield { type: 'done', finish_reason: finishReason, usage: usageOrEstimate(), safety: { action: worst(input.action, guard.action) } };
      } finally {
        // Ends the upstream call if the consumer stopped early (client gone, error, block).
        if (!stop.signal.aborted) stop.abort(new Error('stream closed'));
      }
    })();
  }

  private async request(turn: ChatTurn, userText: string) {
    const { config } = this.deps;
    const history = await this.deps.store.history(turn.sessionId, config.historyLimit);
    return {
      model: config.model,
      messages: buildMessages(config.systemPrompts[turn.language], history, userText),
      maxTokens: config.maxTokens,
      temperature: config.temperature,
    };
  }

  private blocked(messageId: string, action: SafetyAction, usage: Usage = { input_tokens: 0, output_tokens: 0 }): ChatReply {
    return { message_id: messageId, reply: '', finish_reason: 'content_filter', usage, safety: { action } };
  }

  /** Stores the turn once it is answered: the user's (possibly redacted) text and what was released. */
  private async remember(sessionId: string, userText: string, reply: string, messageId: string): Promise<void> {
    const at = this.deps.now().toISOString();
    await this.deps.store.append(sessionId, { id: this.deps.newId(), role: 'user', content: userText, created_at: at });
    if (reply.length > 0) await this.deps.store.append(sessionId, { id: messageId, role: 'assistant', content: reply, created_at: at });
  }
}

/** Rough token estimate (4 characters a token) when the provider sends no usage. */
function estimate(messages: { content: string }[], outputChars: number): Usage {
  const inputChars = messages.reduce((n, m) => n + m.content.length, 0);
  return { input_tokens: Math.ceil(inputChars / 4), output_tokens: Math.ceil(outputChars / 4) };
}
