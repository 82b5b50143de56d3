import type { ChatMessage, Language, StoredMessage } from './ports.js';

export const DEFAULT_SYSTEM_PROMPTS: Record<Language, string> = {
  en: 'You are Parley, a helpful assistant. Answer in English, concisely and accurately.',
  de: 'Du bist Parley, ein hilfreicher Assistent. Antworte auf Deutsch, knapp und genau.',
  fr: 'Tu es Parley, un assistant serviable. Réponds en français, de façon concise et exacte.',
};

/** System prompt, then the kept history, then the new user message. */
export function buildMessages(systemPrompt: string, history: StoredMessage[], userText: string): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt },
    ...history.map((m) => ({ role: m.role, content: m.content })),
    { role: 'user', content: userText },
  ];
}

/**
 * A deliberately high token estimate, for any model's tokenizer: one token per 3 characters
 * (English BPE tokenizers average about 4; German, French and code run denser) plus 4 for
 * the message's framing. Over-estimating only drops history earlier; under-estimating would
 * overflow the context.
 */
export function estimateTokens(message: ChatMessage): number {
  return Math.ceil(message.content.length / 3) + 4;
}

/**
 * Drops the oldest history until the messages fit `budgetTokens` (the context window minus
 * the reply's max_tokens). The system prompt and the new user message are always kept, and
 * a user message is never left without the reply that followed it.
 */
export function fitToContext(messages: ChatMessage[], budgetTokens: number): ChatMessage[] {
  if (messages.length <= 2) return messages;
  const [system, ...rest] = messages as [ChatMessage, ...ChatMessage[]];
  const user = rest.pop() as ChatMessage;
  let total = estimateTokens(system) + estimateTokens(user) + rest.reduce((n, m) => n + estimateTokens(m), 0);
  let start = 0;
  while (total > budgetTokens && start < rest.length) {
    total -= estimateTokens(rest[start] as ChatMessage);
    start++;
    // Never start the kept history with an assistant reply whose question was dropped.
    while (start < rest.length && rest[start]?.role === 'assistant') {
      total -= estimateTokens(rest[start] as ChatMessage);
      start++;
    }
  }
  return [system, ...rest.slice(start), user];
}
