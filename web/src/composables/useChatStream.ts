import { computed, getCurrentScope, onScopeDispose, reactive, readonly, ref } from 'vue';
import type { ApiClient } from '../api/client';
import { ApiError, ConnectionError, ProtocolError } from '../api/errors';

export type MessageState = 'complete' | 'streaming' | 'stopped' | 'failed';

export interface ChatMessage {
  readonly id: string;
  readonly role: 'user' | 'assistant';
  content: string;
  state: MessageState;
}

/**
 * The conversation as reactive state: history, one streamed reply at a time (each turn
 * with its own AbortController), errors worded for the user, and the Retry-After cooldown.
 */
export function useChatStream(client: ApiClient) {
  const messages = ref<ChatMessage[]>([]);
  const pending = ref(false);
  const loadingHistory = ref(false);
  const error = ref<string | null>(null);
  const cooldownSeconds = ref(0);
  const canSend = computed(() => !pending.value && cooldownSeconds.value === 0);

  let turn: AbortController | undefined;
  let historyLoad: AbortController | undefined;
  let cooldownTimer: ReturnType<typeof setInterval> | undefined;
  let localIds = 0;
  const nextId = () => `local-${++localIds}`;

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

  function report(err: unknown): void {
    error.value = describeError(err);
    if (err instanceof ApiError && err.retryAfterSeconds !== undefined && err.retryAfterSeconds > 0) {
      startCooldown(err.retryAfterSeconds);
    }
  }

  async function loadHistory(): Promise<void> {
    historyLoad?.abort();
    const controller = new AbortController();
    historyLoad = controller;
    loadingHistory.value = true;
    try {
      const history = await client.getHistory(controller.signal);
      // A message sent while history was loading wins; its session's history is then newer anyway.
      if (messages.value.length === 0) {
        messages.value = history.map((m) => ({
          id: m.id === '' ? nextId() : m.id,
          role: m.role,
          content: m.content,
          state: 'complete',
        }));
      }
    } catch (err) {
      if (!controller.signal.aborted) report(err);
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
    error.value = null;
    const question: ChatMessage = { id: nextId(), role: 'user', content: message, state: 'complete' };
    // Mutated through this proxy as tokens arrive, so the view updates per delta.
    const reply = reactive<ChatMessage>({ id: nextId(), role: 'assistant', content: '', state: 'streaming' });
    messages.value.push(question, reply);

    let accepted = true;
    try {
      for await (const event of client.streamChat(message, controller.signal)) {
        if (event.type === 'delta') {
          reply.content += event.text;
        } else if (event.type === 'done') {
          // A blocked reply: what was released passed the checks, but the notice replaces it as a whole.
          if (event.notice) reply.content = event.notice;
          reply.state = 'complete';
        } else if (event.type === 'error') {
          reply.state = 'failed';
          error.value = event.message;
        }
      }
    } catch (err) {
      if (controller.signal.aborted) {
        reply.state = 'stopped';
      } else {
        reply.state = 'failed';
        accepted = !(err instanceof ApiError || err instanceof ConnectionError);
        report(err);
      }
    } finally {
      if (turn === controller) turn = undefined;
      pending.value = false;
    }

    const drop = new Set<string>();
    if (!accepted) drop.add(question.id);
    if (reply.content === '' && reply.state !== 'complete') drop.add(reply.id);
    if (drop.size > 0) messages.value = messages.value.filter((m) => !drop.has(m.id));
    return accepted;
  }

  function stop(): void {
    turn?.abort();
  }

  function dispose(): void {
    turn?.abort();
    historyLoad?.abort();
    stopCooldown();
  }

  if (getCurrentScope() !== undefined) onScopeDispose(dispose);

  return {
    messages: readonly(messages),
    pending: readonly(pending),
    loadingHistory: readonly(loadingHistory),
    error: readonly(error),
    cooldownSeconds: readonly(cooldownSeconds),
    canSend,
    loadHistory,
    send,
    stop,
  };
}

function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof ConnectionError || err instanceof ProtocolError) return err.message;
  return 'Something went wrong. Please try again.';
}
