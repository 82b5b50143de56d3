export { createApp, type AppDeps } from './app.js';
export { ChatService, type ChatConfig, type ChatEvent } from './domain/chat.js';
export * from './domain/ports.js';
export { createMemoryConversationStore } from './adapters/memory-conversation-store.js';
export { createRedisConversationStore } from './adapters/redis-conversation-store.js';
export { createOpenAiLlm } from './adapters/openai-llm.js';
export { createHttpSafetyClient } from './adapters/http-safety-client.js';
