import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSTEM_PROMPTS, derivePromptCanary, promptConfigShape, resolvePromptConfig } from './prompts.js';

const secret = 'a-test-secret-that-is-long-enough-123';

describe('prompt configuration', () => {
  it('derives the same short canary from the same INTERNAL_SECRET, and another one from another secret', () => {
    const canary = derivePromptCanary(secret);
    expect(canary).toMatch(/^pc-[a-z2-7]{12}$/);
    expect(derivePromptCanary(secret)).toBe(canary);
    expect(derivePromptCanary(`${secret}x`)).not.toBe(canary);
  });

  it('applies the built-in prompts and the derived canary when nothing is set', () => {
    expect(resolvePromptConfig({ INTERNAL_SECRET: secret })).toEqual({
      systemPrompts: DEFAULT_SYSTEM_PROMPTS,
      persona: undefined,
      canary: derivePromptCanary(secret),
      canaryConfigured: false,
    });
  });

  it('prefers PROMPT_CANARY and the configured prompts', () => {
    const resolved = resolvePromptConfig({ INTERNAL_SECRET: secret, PROMPT_CANARY: 'my-canary-0123', SYSTEM_PROMPT_DE: 'Hallo', CHAT_PERSONA: 'p' });
    expect(resolved).toMatchObject({ canary: 'my-canary-0123', canaryConfigured: true, persona: 'p', systemPrompts: { de: 'Hallo', en: DEFAULT_SYSTEM_PROMPTS.en } });
  });

  it('rejects a PROMPT_CANARY too short or with spaces to be recognised reliably', () => {
    expect(promptConfigShape.PROMPT_CANARY.safeParse('short').success).toBe(false);
    expect(promptConfigShape.PROMPT_CANARY.safeParse('has a space in it').success).toBe(false);
    expect(promptConfigShape.PROMPT_CANARY.safeParse('pc-abcdefghijkl').success).toBe(true);
  });
});
