import { z } from 'zod';
import { deriveSecret } from './identity.js';

/**
 * The built-in system prompts. chat-service sends them; safety-service watches replies for
 * long verbatim runs of them, so both read this one copy.
 */
export const DEFAULT_SYSTEM_PROMPTS: Readonly<Record<'en' | 'de' | 'fr', string>> = {
  en: 'You are Parley, a helpful assistant. Answer in English, concisely and accurately.',
  de: 'Du bist Parley, ein hilfreicher Assistent. Antworte auf Deutsch, knapp und genau.',
  fr: 'Tu es Parley, un assistant serviable. Réponds en français, de façon concise et exacte.',
};

/**
 * The prompt settings chat-service and safety-service both read (set them to the same values
 * on both): one sends the prompts, the other recognises them and the canary in replies.
 */
export const promptConfigShape = {
  SYSTEM_PROMPT_EN: z.string().min(1).optional(),
  SYSTEM_PROMPT_DE: z.string().min(1).optional(),
  SYSTEM_PROMPT_FR: z.string().min(1).optional(),
  /** Appended to the system prompt in every language, e.g. "You are the assistant of example.com; ask whether the visitor is a recruiter, a hiring manager or a peer, and adapt." */
  CHAT_PERSONA: z.string().min(1).max(8_000).optional(),
  /** A secret word placed in every system prompt; a reply that contains it leaked the prompt. Default: derived from INTERNAL_SECRET. */
  PROMPT_CANARY: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{10,62}[A-Za-z0-9]$/, 'must be 12 to 64 letters, digits, "-" or "_"')
    .optional(),
};

type PromptSettings = { [K in keyof typeof promptConfigShape]?: string | undefined } & { INTERNAL_SECRET: string };

export interface PromptConfig {
  systemPrompts: Record<'en' | 'de' | 'fr', string>;
  persona: string | undefined;
  canary: string;
  /** Whether the canary came from PROMPT_CANARY (true) or was derived from INTERNAL_SECRET. */
  canaryConfigured: boolean;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The canary both services derive when PROMPT_CANARY is unset: `pc-` and 12 base32 characters
 * (60 bits) of HKDF(INTERNAL_SECRET, "prompt-canary"). Short and word-like, so it costs the
 * model a few tokens and never occurs in a reply by chance.
 */
export function derivePromptCanary(internalSecret: string): string {
  const bytes = deriveSecret(internalSecret, 'prompt-canary');
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 12) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
    if (out.length === 12) break;
  }
  return `pc-${out}`;
}

/** Prompts, persona and canary in force, defaults applied the same way in every service. */
export function resolvePromptConfig(settings: PromptSettings): PromptConfig {
  return {
    systemPrompts: {
      en: settings.SYSTEM_PROMPT_EN ?? DEFAULT_SYSTEM_PROMPTS.en,
      de: settings.SYSTEM_PROMPT_DE ?? DEFAULT_SYSTEM_PROMPTS.de,
      fr: settings.SYSTEM_PROMPT_FR ?? DEFAULT_SYSTEM_PROMPTS.fr,
    },
    persona: settings.CHAT_PERSONA,
    canary: settings.PROMPT_CANARY ?? derivePromptCanary(settings.INTERNAL_SECRET),
    canaryConfigured: settings.PROMPT_CANARY !== undefined,
  };
}
