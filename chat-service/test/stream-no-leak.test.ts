import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health, createIdentitySigner, createIdentityVerifier, createLogger, createMetrics } from '@parley/platform';
import { SAFETY_SERVICE_AUDIENCE, createApp as createSafetyApp } from '@parley/safety-service';
import { createHttpSafetyClient } from '../src/adapters/http-safety-client.js';
import { createMemoryConversationStore } from '../src/adapters/memory-conversation-store.js';
import { ChatService, type ChatEvent } from '../src/domain/chat.js';
import type { LlmChunk, LlmClient } from '../src/domain/ports.js';

/**
 * The no-leak property of streamed replies against the real safety engine, over HTTP: the
 * model streams secrets and PII a few characters at a time, and no piece of them may reach the
 * client. A fixed hold-back (48 characters) alone would release the start of a JWT or a PEM
 * block before its end arrived; the streaming mode's `hold_from` keeps them back.
 */
const secret = 'stream-no-leak-test-secret-long-enough-0123';
let server: Server;
let safetyUrl: string;

beforeAll(async () => {
  const app = createSafetyApp({
    logger: createLogger({ service: 'safety-service', level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    health: new Health(),
    verifier: createIdentityVerifier({ secret, audience: SAFETY_SERVICE_AUDIENCE }),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  safetyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A model that streams `reply` in pieces of `size` characters. */
function trickle(reply: string, size: number): LlmClient {
  return {
    complete: () => Promise.reject(new Error('not used')),
    async stream() {
      return (async function* (): AsyncGenerator<LlmChunk> {
        for (let i = 0; i < reply.length; i += size) yield { type: 'text', text: reply.slice(i, i + size) };
        yield { type: 'finish', finishReason: 'stop' };
      })();
    },
  };
}

async function streamed(reply: string, size: number): Promise<{ text: string; done: ChatEvent | undefined }> {
  const chat = new ChatService({
    llm: trickle(reply, size),
    safety: createHttpSafetyClient({ baseUrl: safetyUrl, timeoutMs: 5_000, signer: createIdentitySigner({ secret, issuer: 'chat-service' }) }),
    store: createMemoryConversationStore({ idleTtlSeconds: 60, maxMessages: 20 }),
    newId: () => 'msg_1',
    now: () => new Date(),
    config: { model: 'm', maxTokens: 512, temperature: 0, historyLimit: 10, contextTokens: 100_000, safetyWindowChars: 160, safetyHoldbackChars: 48, safetyFlushMs: 0, systemPrompts: { en: 'sys', de: 'sys', fr: 'sys' } },
  });
  let text = '';
  let done: ChatEvent | undefined;
  for await (const event of await chat.stream({ sessionId: 's', message: 'hello', language: 'en' }, new AbortController().signal)) {
    if (event.type === 'delta') text += event.text;
    if (event.type === 'done') done = event;
  }
  return { text, done };
}

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyLCJzY29wZSI6ImFkbWluIHJlYWQgd3JpdGUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n'.repeat(12)}-----END PRIVATE KEY-----`;

describe('streamed output against the real safety engine', () => {
  it.each([
    { name: 'a JWT', value: JWT, probe: JWT.slice(0, 20) },
    { name: 'a PEM private key', value: PEM, probe: 'MIIEvQIBADANBgkqhkiG' },
    { name: 'an IBAN', value: 'DE89 3704 0044 0532 0130 00', probe: '3704 0044' },
    { name: 'an email', value: 'jane.doe@example.org', probe: 'jane.doe' },
  ])('never releases a piece of $name, whatever the chunk size', async ({ value, probe }) => {
    const reply = `Sure. Here is what you asked for, as requested by the team earlier today: ${value} and that is all you need to know about it.`;
    for (const size of [1, 3, 7, 16]) {
      const { text, done } = await streamed(reply, size);
      expect(text, `chunks of ${size}`).not.toContain(probe);
      expect(text.startsWith('Sure.')).toBe(true);
      expect(done).toMatchObject({ type: 'done' });
      expect((done as { safety: { action: string } }).safety.action).not.toBe('allow');
    }
  });

  it('still streams ordinary prose in several windows', async () => {
    const reply = 'Lyon sits where the Rhône meets the Saône. '.repeat(12);
    const { text } = await streamed(reply, 5);
    expect(text).toBe(reply);
  });
});
