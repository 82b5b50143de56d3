// What other packages (chat-service tests, e2e tests) use to run safety-service in-process.
export { SAFETY_SERVICE_AUDIENCE, createApp, type AppDeps } from './app.js';
export { DEFAULT_MAX_TEXT_CHARS, configSchema, type Config } from './config.js';
export { TextTooLongError } from './errors.js';
export { createModerator, type Moderator, type ModeratorOptions } from './domain/engine.js';
export { DEFAULT_POLICY, policySchema, type Policy, type RuleAction } from './domain/policy.js';
export { DEFAULT_DETECTORS, type DetectContext, type Detector, type DetectorMatch } from './domain/detectors/index.js';
export { canonicalView, foldedView, type TextView } from './domain/normalize.js';
export * from './domain/types.js';
