/** What the chat domain needs from the outside world; adapters implement these. */

export type Language = 'en' | 'de' | 'fr';
export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface StoredMessage {
  id: string;
  role: Exclude<Role, 'system'>;
  content: string;
  created_at: string;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter';

export interface LlmRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
}

export interface LlmCompletion {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** The model that answered, as the provider names it (may differ from the requested one). */
  responseModel?: string | undefined;
  responseId?: string | undefined;
  /** Set by the resilient client: the configured model that answered, and what it cost. */
  model?: string | undefined;
  costUsd?: number | undefined;
}

export type LlmChunk =
  | { type: 'text'; text: string }
  | { type: 'finish'; finishReason: FinishReason }
  /** `costUsd` is added by the resilient client from its price table. */
  | { type: 'usage'; usage: Usage; costUsd?: number | undefined }
  /**
   * Who answered, once, before any text. From an adapter: the provider's model name and
   * response id. From the resilient client: the configured model that answers and whether it
   * is a fallback.
   */
  | { type: 'response'; model: string; id?: string | undefined; fallback?: boolean | undefined };

export interface LlmClient {
  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmCompletion>;
  /** Resolves once the upstream stream is open and its first chunk arrived, so failures before that can still be retried or reported with a status code. */
  stream(request: LlmRequest, signal: AbortSignal): Promise<AsyncIterable<LlmChunk>>;
}

export type SafetyAction = 'allow' | 'redact' | 'block';

export interface SafetyFinding {
  category: string;
  rule: string;
  start: number;
  end: number;
}

export interface ModerationResult {
  action: SafetyAction;
  text: string;
  findings: SafetyFinding[];
  policy_version: string;
  /** Streaming mode only: from this offset a value may be unfinished; release only what comes before. */
  hold_from?: number | undefined;
}

export interface SafetyClient {
  /** `stream`: `text` is a window of a reply still being generated (safety-service's streaming mode). */
  moderate(input: { text: string; direction: 'input' | 'output'; language: Language; stream?: boolean }, signal: AbortSignal): Promise<ModerationResult>;
}

export interface ConversationStore {
  append(sessionId: string, message: StoredMessage): Promise<void>;
  /** Oldest first, at most `limit` messages. */
  history(sessionId: string, limit: number): Promise<StoredMessage[]>;
  /** Deletes everything kept about the session; resolves with how many messages were removed. */
  erase(sessionId: string): Promise<number>;
  /** Pings the backing store (readiness). */
  ping(): Promise<void>;
}
