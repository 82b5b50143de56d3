import { buildMessages } from './prompt.js';
import type {
  ConversationStore,
  FinishReason,
  Language,
  LlmChunk,
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
  /** Streamed output is released in windows of about this many characters, each checked first. */
  safetyWindowChars: number;
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

/** Index to cut `text` at: the last whitespace at or after `min`, so words are never split. */
function windowCut(text: string, min: number): number {
  for (let i = text.length - 1; i >= min; i--) {
    if (/\s/.test(text[i] ?? '')) return i + 1;
  }
  // A very long run without spaces (a URL, code) is released anyway, in bounded pieces.
  return text.length >= min * 4 ? text.length : -1;
}

/** The chat use case: input check, prompt, LLM call, output check, history. */
export class ChatService {
  constructor(private readonly deps: ChatDeps) {}

  async history(sessionId: string): Promise<StoredMessage[]> {
    return this.deps.store.history(sessionId, 1000);
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
    const { llm, safety, config } = this.deps;
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
      let pending = '';
      let released = '';
      let action: SafetyAction = input.action;
      let finishReason: FinishReason = 'stop';
      let usage: Usage | undefined;
      let outputChars = 0;

      // Checks one window; returns the text to release, or undefined when blocked.
      const check = async (text: string): Promise<string | undefined> => {
        const result = await safety.moderate({ text, direction: 'output', language: turn.language }, signal);
        action = worst(action, result.action);
        return result.action === 'block' ? undefined : result.text;
      };

      try {
        for await (const chunk of chunks as AsyncIterable<LlmChunk>) {
          if (chunk.type === 'text') {
            pending += chunk.text;
            outputChars += chunk.text.length;
            let cut = windowCut(pending, config.safetyWindowChars);
            while (cut > 0) {
              const window = pending.slice(0, cut);
              pending = pending.slice(cut);
              const safe = await check(window);
              if (safe === undefined) {
                stop.abort(new Error('output blocked by safety policy'));
                yield { type: 'done', finish_reason: 'content_filter', usage: usage ?? estimate(request.messages, outputChars), safety: { action: 'block' } };
                await remember(released);
                return;
              }
              released += safe;
              yield { type: 'delta', text: safe };
              cut = windowCut(pending, config.safetyWindowChars);
            }
          } else if (chunk.type === 'finish') {
            finishReason = chunk.finishReason;
          } else {
            usage = chunk.usage;
          }
        }
        if (pending.length > 0) {
          const safe = await check(pending);
          if (safe === undefined) {
            yield { type: 'done', finish_reason: 'content_filter', usage: usage ?? estimate(request.messages, outputChars), safety: { action: 'block' } };
            await remember(released);
            return;
          }
          released += safe;
          yield { type: 'delta', text: safe };
        }
        await remember(released);
        yield { type: 'done', finish_reason: finishReason, usage: usage ?? estimate(request.messages, outputChars), safety: { action } };
      } finally {
        // Ends the upstream call if the consumer stopped early (client gone, error).
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
