export { createApp, type AppDeps } from './app.js';
export { SessionService, hashToken, type Session, type SessionStore } from './domain/sessions.js';
export { createMemorySessionStore } from './adapters/memory-session-store.js';
export { createRedisSessionStore } from './adapters/redis-session-store.js';
