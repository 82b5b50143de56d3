export * from './logs.js';
export * from './otlp-receiver.js';
export * from './ports.js';
export * from './process.js';
export * from './redis-server.js';
export * from './wait.js';
export * from './tracing.js';
export * from './scrape.js';
