import { computed, getCurrentScope, onScopeDispose, reactive, readonly, ref } from 'vue';
import type { ApiClient } from '../api/client';
import { ApiError, ConnectionError, ProtocolError, RateLimitError, ServiceUnavailableError } from '../api/errors';

export type MessageState = 'complete' | 'streaming' | 'stopped' | 'failed' | 'blocked';

export interface ChatMessage {
  /** Stable key for the view; the server's id when the message came from history. */
  readonly id: string;
  /** The server's message id (from history or the `meta` event); needed for feedback. */
  messageId?: string | undefined;
  readonly role: 'user' | 'assistant';
  /** Empty for a blocked reply: the withheld text is dropped, the view shows a notice instead. */
  content: string;
  state: MessageState;
  /** The operator's fallback answer, given because no model could answer. */
  degraded?: boolean | undefined;
}

/** What the view needs to explain a failure in the user's language (it never shows the server's English). */
export type ErrorKind = 'offline' | 'protocol' | 'rate_limit' | 'unavailable' | 'rejected' | 'failed';

export interface ChatError {
  /** The API's error code (`rate_limited`, `llm_unavailable`, ...), or `offline` / `protocol`. */
  readonly code: string;
  readonly kind: ErrorKind;
  /** For support: shown small next to the message. */
  readonly traceId: string | undefined;
  /** Offer a Retry button (after any Retry-After wait). */
  readonly retryable: boolean;
}

/** How the last turn ended, for the status region. */
export type TurnOutcome = 'none' | 'complete' | 'stopped' | 'failed' | 'blocked';

type Failed = { readonly kind: 'send'; readonly text: string } | { readonly kind: 'history' } | { readonly kind: 'session' };

/**
 * The conversation as reactive state: history, one streamed reply at a time (each turn
 * with its own AbortController), typed errors, and the Retry-After cooldown.
 */
export function useChatStream(client: ApiClient) {
  const messages = ref<ChatMessage[]>([]);
  const pending = ref(false);
  const loadingHistory = ref(false);
  const error = ref<ChatError | null>(null);
  const sessionRenewed = ref(false);
  const lastOutcome = ref<TurnOutcome>('none');
  const cooldownSeconds = ref(0);
  const canSend = computed(() => !pending.value && cooldownSeconds.value === 0);

  let turn: AbortController | undefined;
  let historyLoad: AbortController | undefined;
  let cooldownTimer: ReturnType<typeof setInterval> | undefined;
  let failed: Failed | undefined;
  let localIds = 0;
  const nextId = () => `local-${++localIds}`;

  const unsubscribe = client.onSessionRenewed(() => {
    sessionRenewed.value = true;
  });

  function startCooldown(seconds: number): void {
    // Count down to a deadline rather than ticks: background tabs throttle timers.
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      cooldownSeconds.value = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (cooldownSeconds.value === 0) stopCooldown();
    };
    stopCooldown();
    tick();
    if (cooldownSeconds.value > 0) cooldownTimer = setInterval(tick, 1000);
  }

  function stopCooldown(): void {
    if (cooldownTimer !== undefined) clearInterval(cooldownTimer);
    cooldownTimer = undefined;
  }

  function report(err: unknown, what: Failed): void {
    error.value = toChatError(err);
    failed = what;
    if (err instanceof ApiError && err.retryAfterSeconds !== undefined && err.retryAfterSeconds > 0) {
      startCooldown(err.retryAfterSeconds);
    }
  }

  function clearError(): void {
    error.value = null;
    failed = undefined;
  }

  async function loadHistory(): Promise<void> {
    historyLoad?.abort();
    const controller = new AbortController();
    historyLoad = controller;
    loadingHistory.value = true;
    try {
      const history = await client.getHistory(controller.signal);
      if (failed?.kind === 'history') clearError();
      // A message sent while history was loading wins; its session's history is then newer anyway.
      if (messages.value.length === 0) {
        messages.value = history.map((m) => ({
          id: m.id === '' ? nextId() : m.id,
          messageId: m.id === '' ? undefined : m.id,
          role: m.role,
          content: m.content,
          state: 'complete',
        }));
      }
    } catch (err) {
      if (!controller.signal.aborted) report(err, { kind: 'history' });
    } finally {
      if (historyLoad === controller) {
        historyLoad = undefined;
        loadingHistory.value = false;
      }
    }
  }

  /**
   * Sends one message and streams the reply into `messages`. Resolves to false when the
   * gateway never accepted the message (so the caller can give the text back to the user).
   */
  async function send(text: string): Promise<boolean> {
    const message = text.trim();
    if (message === '' || !canSend.value) return false;

    const controller = new AbortController();
    turn = controller;
    pending.value = true;
    clearError();
    sessionRenewed.value = false;
    const question: ChatMessage = { id: nextId(), role: 'user', content: message, state: 'complete' };
    // Mutated through this proxy as tokens arrive, so the view updates per delta.
    const reply = reactive<ChatMessage>({ id: nextId(), role: 'assistant', content: '', state: 'streaming' });
    messages.value.push(question, reply);

    let accepted = true;
    try {
      for await (const event of client.streamChat(message, controller.signal)) {
        if (event.type === 'meta') {
          reply.messageId = event.messageId;
        } else if (event.type === 'delta') {
          reply.content += event.text;
        } else if (event.type === 'done') {
          if (event.notice !== undefined || event.safetyAction === 'block') {
            // Blocked: what was released had passed the checks, but the reply is withheld as a whole.
            reply.content = '';
            reply.state = 'blocked';
          } else {
            reply.state = 'complete';
            if (event.degraded) reply.degraded = true;
          }
        } else if (event.type === 'error') {
          reply.state = 'failed';
          error.value = { code: event.code, kind: 'failed', traceId: undefined, retryable: event.retryable };
          failed = { kind: 'send', text: message };
        }
      }
    } catch (err) {
      if (controller.signal.aborted) {
        reply.state = 'stopped';
      } else {
        reply.state = 'failed';
        accepted = !(err instanceof ApiError || err instanceof ConnectionError);
        report(err, { kind: 'send', text: message });
      }
    } finally {
      if (turn === controller) turn = undefined;
      pending.value = false;
    }
    lastOutcome.value = reply.state === 'streaming' ? 'failed' : reply.state;

    const drop = new Set<string>();
    if (!accepted) drop.add(question.id);
    if (reply.content === '' && (reply.state === 'failed' || reply.state === 'stopped')) drop.add(reply.id);
    if (drop.size > 0) messages.value = messages.value.filter((m) => !drop.has(m.id));
    return accepted;
  }

  function stop(): void {
    turn?.abort();
  }

  /** Repeats what failed last: the message, or loading the conversation. */
  async function retry(): Promise<boolean> {
    const what = failed;
    if (what === undefined || !canSend.value) return false;
    if (what.kind === 'history') {
      clearError();
      await loadHistory();
      return true;
    }
    if (what.kind === 'session') {
      return newConversation();
    }
    return send(what.text);
  }

  /** Clears the view and starts a fresh session, which the server keeps as a new, empty conversation. */
  async function newConversation(): Promise<boolean> {
    turn?.abort();
    historyLoad?.abort();
    messages.value = [];
    clearError();
    sessionRenewed.value = false;
    lastOutcome.value = 'none';
    try {
      await client.startNewSession();
      return true;
    } catch (err) {
      report(err, { kind: 'session' });
      return false;
    }
  }

  /** Erases the session's data on the server, then everything held here. Throws when the server refused. */
  async function deleteData(): Promise<void> {
    turn?.abort();
    historyLoad?.abort();
    await client.deleteSessionData();
    messages.value = [];
    clearError();
    sessionRenewed.value = false;
    lastOutcome.value = 'none';
  }

  /** The text of the message that failed last, if a message did. */
  function failedMessage(): string | undefined {
    return failed?.kind === 'send' ? failed.text : undefined;
  }

  function dismissSessionNotice(): void {
    sessionRenewed.value = false;
  }

  function dispose(): void {
    turn?.abort();
    historyLoad?.abort();
    stopCooldown();
    unsubscribe();
  }

  if (getCurrentScope() !== undefined) onScopeDispose(dispose);

  return {
    messages: readonly(messages),
    pending: readonly(pending),
    loadingHistory: readonly(loadingHistory),
    error: readonly(error),
    sessionRenewed: readonly(sessionRenewed),
    lastOutcome: readonly(lastOutcome),
    cooldownSeconds: readonly(cooldownSeconds),
    canSend,
    loadHistory,
    send,
    stop,
    retry,
    newConversation,
    deleteData,
    dismissSessionNotice,
    dismissError: clearError,
    failedMessage,
  };
}

export function toChatError(err: unknown): ChatError {
  if (err instanceof ConnectionError) return { code: 'offline', kind: 'offline', traceId: undefined, retryable: true };
  if (err instanceof ProtocolError) return { code: 'protocol', kind: 'protocol', traceId: undefined, retryable: true };
  if (err instanceof ApiError) {
    const traceId = err.traceId === '' ? undefined : err.traceId;
    if (err instanceof RateLimitError) return { code: err.code, kind: 'rate_limit', traceId, retryable: false };
    if (err instanceof ServiceUnavailableError || err.status >= 500) return { code: err.code, kind: 'unavailable', traceId, retryable: true };
    return { code: err.code, kind: 'rejected', traceId, retryable: false };
  }
  return { code: 'unknown', kind: 'failed', traceId: undefined, retryable: true };
}
