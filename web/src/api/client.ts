// Typed client for the gateway's public /api/v1 contract (see ARCHITECTURE.md).
// Owns the anonymous session: creates it on first use, keeps its token, and replaces it
// once, transparently, when the gateway answers 401.

import { ConnectionError, ProtocolError, createApiError, isRecord, parseRetryAfter, readProblem, stringField } from './errors';
import { readSseEvents, type SseEvent } from './sse';

import { LANGUAGES, isLanguage, type Language } from '../i18n';

export type { Language };

export interface HistoryMessage {
  readonly id: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly createdAt: string;
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type ChatStreamEvent =
  | { readonly type: 'meta'; readonly messageId: string | undefined }
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'done';
      readonly finishReason: string;
      readonly usage: Usage | undefined;
      readonly safetyAction: string | undefined;
      /** The localized text that replaces a reply the safety policy blocked. */
      readonly notice: string | undefined;
      /** The reply is the operator's fallback message because no model could answer. */
      readonly degraded: boolean;
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly retryable: boolean };

/** Where the session token lives between page loads. */
export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

export interface ApiClientOptions {
  readonly language: Language;
  readonly tokens: TokenStore;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Prefix for every path; "" means same origin. */
  readonly baseUrl?: string;
}

export type ConsentMode = 'always' | 'never' | 'auto';

/** The public UI settings from `GET /api/v1/config`, with the UI's defaults for anything missing. */
export interface PublicConfig {
  readonly languages: readonly Language[];
  readonly feedbackEnabled: boolean;
  /** undefined when the server did not say (the panel then uses its prop or `auto`). */
  readonly consentMode: ConsentMode | undefined;
  readonly maxMessageChars: number;
  readonly privacyUrl: string | undefined;
}

export const DEFAULT_MAX_MESSAGE_CHARS = 4000;

export interface FeedbackInput {
  readonly messageId: string;
  readonly rating: 'up' | 'down';
  readonly comment?: string | undefined;
}

export interface ApiClient {
  /** The language sent with new sessions and chat turns; follows `setLanguage`. */
  readonly language: Language;
  setLanguage(language: Language): void;
  getConfig(signal?: AbortSignal): Promise<PublicConfig>;
  getHistory(signal?: AbortSignal): Promise<HistoryMessage[]>;
  /** Yields the reply's events and ends after `done` or `error`; aborting the signal stops it. */
  streamChat(message: string, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent, void, undefined>;
  /** Drops the current session and starts a fresh one (a new, empty server-side conversation). */
  startNewSession(): Promise<void>;
  /** Erases the session's history and feedback on the server (DELETE /api/v1/sessions/current) and forgets its token. */
  deleteSessionData(): Promise<void>;
  sendFeedback(input: FeedbackInput, signal?: AbortSignal): Promise<void>;
  /** Called when an expired session was replaced by a new one behind the caller's back; returns an unsubscribe function. */
  onSessionRenewed(listener: () => void): () => void;
}

export const sessionStorageKey = 'parley.session';

export function createMemoryTokenStore(initial: string | null = null): TokenStore {
  let token = initial;
  return {
    get: () => token,
    set: (value) => {
      token = value;
    },
    clear: () => {
      token = null;
    },
  };
}

/** Keeps the token in Web Storage, and in memory only where storage is blocked (some private modes). */
export function createStorageTokenStore(storage: Storage | undefined, key: string = sessionStorageKey): TokenStore {
  const fallback = createMemoryTokenStore();
  if (storage === undefined) return fallback;
  return {
    get() {
      try {
        return storage.getItem(key) ?? fallback.get();
      } catch {
        return fallback.get();
      }
    },
    set(token) {
      fallback.set(token);
      try {
        storage.setItem(key, token);
      } catch {
        // memory fallback already holds it
      }
    },
    clear() {
      fallback.clear();
      try {
        storage.removeItem(key);
      } catch {
        // nothing stored, nothing to remove
      }
    },
  };
}

interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly accept: string;
  readonly body?: unknown;
  readonly signal: AbortSignal | undefined;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { tokens } = options;
  let language = options.language;
  const renewalListeners = new Set<() => void>();
  const baseUrl = options.baseUrl ?? '';
  // Called unbound: window.fetch throws "Illegal invocation" when called as a method of another object.
  const fetchFn = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  let sessionInFlight: Promise<string> | undefined;

  async function send(spec: RequestSpec, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { Accept: spec.accept };
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
    try {
      return await fetchFn(baseUrl + spec.path, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? null : JSON.stringify(spec.body),
        signal: spec.signal ?? null,
      });
    } catch (error) {
      if (spec.signal?.aborted === true) throw error;
      throw new ConnectionError('Could not reach Parley. Check your connection and try again.', { cause: error });
    }
  }

  async function failure(response: Response): Promise<never> {
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
    throw createApiError(await readProblem(response), retryAfter);
  }

  function startSession(): Promise<string> {
    // Concurrent callers share one new session instead of racing to create several.
    sessionInFlight ??= (async () => {
      const response = await send(
        { method: 'POST', path: '/api/v1/sessions', accept: 'application/json', body: { language }, signal: undefined },
        undefined,
      );
      if (!response.ok) return failure(response);
      const body: unknown = await response.json();
      const token = isRecord(body) ? stringField(body, 'token') : undefined;
      if (token === undefined) throw new ProtocolError('The server answered the new session without a token.');
      tokens.set(token);
      return token;
    })().finally(() => {
      sessionInFlight = undefined;
    });
    return sessionInFlight;
  }

  /** Sends with the session token; on 401 starts a new session and tries exactly once more. */
  async function authorized(spec: RequestSpec): Promise<Response> {
    const token = tokens.get() ?? (await startSession());
    spec.signal?.throwIfAborted();
    let response = await send(spec, token);
    if (response.status === 401) {
      await response.body?.cancel();
      // Another request may already have replaced the stale token; reuse its session.
      const current = tokens.get();
      let fresh: string;
      if (current !== null && current !== token) {
        fresh = current;
      } else {
        tokens.clear();
        fresh = await startSession();
        for (const listener of renewalListeners) listener();
      }
      spec.signal?.throwIfAborted();
      response = await send(spec, fresh);
    }
    if (!response.ok) return failure(response);
    return response;
  }

  async function getHistory(signal?: AbortSignal): Promise<HistoryMessage[]> {
    const response = await authorized({ method: 'GET', path: '/api/v1/history', accept: 'application/json', signal });
    const body: unknown = await response.json();
    const messages = isRecord(body) && Array.isArray(body['messages']) ? (body['messages'] as unknown[]) : [];
    return messages.flatMap((item): HistoryMessage[] => {
      if (!isRecord(item)) return [];
      const role = item['role'];
      const content = item['content'];
      if ((role !== 'user' && role !== 'assistant') || typeof content !== 'string') return [];
      return [{ id: stringField(item, 'id') ?? '', role, content, createdAt: stringField(item, 'created_at') ?? '' }];
    });
  }

  async function* streamChat(message: string, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const response = await authorized({
      method: 'POST',
      path: '/api/v1/chat',
      accept: 'text/event-stream',
      body: { message, language },
      signal,
    });
    const contentType = response.headers.get('Content-Type') ?? '';
    if (response.body === null || !contentType.includes('text/event-stream')) {
      await response.body?.cancel();
      throw new ProtocolError('The server did not answer with a stream.');
    }
    const cutOff = 'The reply was cut off before it finished. Please try again.';
    try {
      for await (const sse of readSseEvents(response.body)) {
        const event = toChatEvent(sse);
        if (event === undefined) continue;
        yield event;
        if (event.type === 'done' || event.type === 'error') return;
      }
    } catch (error) {
      if (signal?.aborted === true || error instanceof ProtocolError) throw error;
      throw new ProtocolError(cutOff, { cause: error }); // the connection dropped mid-reply
    }
    signal?.throwIfAborted();
    // The gateway always ends a stream with `done` or `error`; a clean end without them is a broken reply.
    throw new ProtocolError(cutOff);
  }

  async function getConfig(signal?: AbortSignal): Promise<PublicConfig> {
    const response = await send({ method: 'GET', path: '/api/v1/config', accept: 'application/json', signal }, undefined);
    if (!response.ok) return failure(response);
    return toPublicConfig(await response.json());
  }

  async function startNewSession(): Promise<void> {
    tokens.clear();
    await startSession();
  }

  async function deleteSessionData(): Promise<void> {
    const token = tokens.get();
    if (token === null) return; // no session yet: nothing is kept about this visitor
    const response = await send({ method: 'DELETE', path: '/api/v1/sessions/current', accept: 'application/json', signal: undefined }, token);
    await response.body?.cancel();
    // 401: the session already idled out, and its data with it; anything else is a real failure.
    if (!response.ok && response.status !== 401) return failure(response);
    tokens.clear();
  }

  async function sendFeedback(input: FeedbackInput, signal?: AbortSignal): Promise<void> {
    const body: Record<string, string> = { message_id: input.messageId, rating: input.rating };
    if (input.comment !== undefined && input.comment.trim() !== '') body['comment'] = input.comment.trim();
    const response = await authorized({ method: 'POST', path: '/api/v1/feedback', accept: 'application/json', body, signal });
    await response.body?.cancel();
  }

  return {
    get language() {
      return language;
    },
    setLanguage(next: Language) {
      language = next;
    },
    getConfig,
    getHistory,
    streamChat,
    startNewSession,
    deleteSessionData,
    sendFeedback,
    onSessionRenewed(listener) {
      renewalListeners.add(listener);
      return () => renewalListeners.delete(listener);
    },
  };
}

/** The gateway's CONSENT_MODE, the same vocabulary as the widget's `consent` attribute. */
const CONSENT_MODES: Record<string, ConsentMode> = { always: 'always', never: 'never', auto: 'auto' };

export function toPublicConfig(body: unknown): PublicConfig {
  const fields = isRecord(body) ? body : {};
  const languages = Array.isArray(fields['languages']) ? fields['languages'].filter(isLanguage) : [];
  const limits = isRecord(fields['limits']) ? fields['limits'] : {};
  const max = limits['max_message_chars'];
  const mode = stringField(fields, 'consent_mode');
  const privacyUrl = stringField(fields, 'privacy_url');
  return {
    languages: languages.length > 0 ? languages : LANGUAGES,
    feedbackEnabled: fields['feedback_enabled'] === true,
    consentMode: mode === undefined ? undefined : CONSENT_MODES[mode],
    maxMessageChars: typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : DEFAULT_MAX_MESSAGE_CHARS,
    privacyUrl: privacyUrl !== undefined && isSafeLink(privacyUrl) ? privacyUrl : undefined,
  };
}

/** Only http(s) links (absolute or relative) become an href; never `javascript:` and friends. */
export function isSafeLink(url: string): boolean {
  try {
    const parsed = new URL(url, 'https://relative.invalid/');
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

function toChatEvent(sse: SseEvent): ChatStreamEvent | undefined {
  if (sse.event !== 'meta' && sse.event !== 'delta' && sse.event !== 'done' && sse.event !== 'error') {
    return undefined; // unknown events are skipped so the server can add new ones
  }
  let data: unknown;
  try {
    data = JSON.parse(sse.data);
  } catch {
    throw new ProtocolError(`The server sent a malformed "${sse.event}" event.`);
  }
  const fields = isRecord(data) ? data : {};
  switch (sse.event) {
    case 'meta':
      return { type: 'meta', messageId: stringField(fields, 'message_id') };
    case 'delta': {
      const text = fields['text'];
      if (typeof text !== 'string') throw new ProtocolError('The server sent a "delta" event without text.');
      return { type: 'delta', text };
    }
    case 'done':
      return {
        type: 'done',
        finishReason: stringField(fields, 'finish_reason') ?? 'stop',
        usage: toUsage(fields['usage']),
        safetyAction: isRecord(fields['safety']) ? stringField(fields['safety'], 'action') : undefined,
        notice: stringField(fields, 'notice'),
        degraded: fields['degraded'] === true,
      };
    case 'error':
      return {
        type: 'error',
        code: stringField(fields, 'code') ?? 'unknown',
        message: stringField(fields, 'message') ?? 'The reply failed. Please try again.',
        retryable: fields['retryable'] === true,
      };
  }
}

function toUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const input = value['input_tokens'];
  const output = value['output_tokens'];
  if (typeof input !== 'number' || typeof output !== 'number') return undefined;
  return { inputTokens: input, outputTokens: output };
}
