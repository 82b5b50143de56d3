import { SafetyUnavailableError } from '@parley/platform';
import type { LlmChunk, LlmClient, LlmRequest, ModerationResult, SafetyClient } from '../src/domain/ports.js';

/** A model that answers `reply`, streamed word by word; `gate` can hold the stream open. */
export function fakeLlm(reply: string, options: { hold?: Promise<void> } = {}) {
  const calls: { request: LlmRequest; signal: AbortSignal }[] = [];
  const llm: LlmClient = {
    async complete(request, signal) {
      calls.push({ request, signal });
      return { text: reply, finishReason: 'stop', usage: { input_tokens: 11, output_tokens: 7 } };
    },
    async stream(request, signal) {
      calls.push({ request, signal });
      return (async function* (): AsyncGenerator<LlmChunk> {
        let first = true;
        for (const word of reply.split(/(?<= )/)) {
          if (signal.aborted) return;
          yield { type: 'text', text: word };
          if (first && options.hold) {
            first = false;
            const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            await Promise.race([options.hold, aborted]);
          }
        }
        yield { type: 'finish', finishReason: 'stop' };
        yield { type: 'usage', usage: { input_tokens: 11, output_tokens: 7 } };
      })();
    },
  };
  return { llm, calls };
}

/** Blocks text containing BLOCK, redacts "secret@example.com", can be switched off. */
export function fakeSafety() {
  const seen: { text: string; direction: string }[] = [];
  const state = { down: false, downAfter: Infinity };
  const safety: SafetyClient = {
    async moderate({ text, direction }): Promise<ModerationResult> {
      seen.push({ text, direction });
      if (state.down || seen.length > state.downAfter) throw new SafetyUnavailableError('down', { retryAfterSeconds: 2 });
      if (text.includes('SELFHARM')) return { action: 'block', text, findings: [{ category: 'harm.self_harm', rule: 't', start: 0, end: 1 }], policy_version: 't' };
      if (text.includes('BLOCK')) return { action: 'block', text, findings: [{ category: 'harm.violence', rule: 't', start: 0, end: 1 }], policy_version: 't' };
      if (text.includes('secret@example.com')) {
        return { action: 'redact', text: text.replaceAll('secret@example.com', '[EMAIL]'), findings: [], policy_version: 't' };
      }
      return { action: 'allow', text, findings: [], policy_version: 't' };
    },
  };
  return { safety, seen, state };
}

