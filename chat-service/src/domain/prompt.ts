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
