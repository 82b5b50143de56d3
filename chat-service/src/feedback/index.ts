export * from './types.js';
export { FeedbackDisabledError, MessageNotFoundError } from './errors.js';
export { FeedbackService, type ExportedFeedback, type FeedbackInput, type SessionFeedback } from './feedback-service.js';
export { createFeedbackMetrics } from './feedback-metrics.js';
export { createMemoryFeedbackStore } from './memory-feedback-store.js';
export { createRedisFeedbackStore, type RedisFeedbackStoreOptions } from './redis-feedback-store.js';
export { startFeedbackRetention } from './retention.js';
export { isStreamId } from './paging.js';
