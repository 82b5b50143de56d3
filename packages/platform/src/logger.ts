import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { activeTraceIds } from './trace-context.js';

export type { Logger } from 'pino';

/**
 * Paths redacted from every log line. Fixed at start (pino compiles them once);
 * the rule is still: never log prompts, replies, tokens or keys in the first place.
 */
export const REDACT_PATHS = [
  'authorization',
  'password',
  'token',
  'secret',
  'apiKey',
  'api_key',
  'cookie',
  '*.authorization',
  '*.Authorization',
  '*.cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers["x-parley-identity"]',
] as const;

export interface CreateLoggerOptions {
  service: string;
  level?: LoggerOptions['level'];
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

/** The process's root logger: JSON lines with `service`, and `trace_id`/`span_id` inside a span. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service },
    messageKey: 'msg',
    errorKey: 'err',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    mixin: () => activeTraceIds() ?? {},
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
