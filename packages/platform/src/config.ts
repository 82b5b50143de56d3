import { z } from 'zod';

/** Thrown when the environment does not match a service's schema. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Parses `env` against `schema`, failing fast with one readable line per problem.
 * Values are never echoed back: they may be secrets.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // An empty variable means unset: compose files and Kubernetes often pass `VAR=`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

const port = z.coerce.number().int().min(0).max(65535);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Settings every process that listens shares (llm-sim included); each adds PORT with its default. */
export const serverConfigSchema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: logLevel.default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** How long SIGTERM waits for in-flight requests and streams before closing them. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** A client must send all request headers within this time (slowloris protection). */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** ...and the whole request (headers and body) within this; responses and streams are not limited by it. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Idle keep-alive sockets close after this; keep it above the load balancer's idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(65_000),
});

/** What runService needs from any service's configuration. */
export type ServerConfig = z.output<typeof serverConfigSchema> & { PORT: number };

/** Settings every Parley service shares; services extend this schema. */
export const baseConfigSchema = serverConfigSchema.extend({
  /** Shared secret that signs the identity services pass to each other. */
  INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters'),
});

export const portSchema = port;
export const urlSchema = z.url({ protocol: /^https?$/ });

/** For main.ts: parse the environment or print why not and exit 1 (no stack trace). */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, service: string): z.output<S> {
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${service}: ${err.message}\n`);
    process.exit(1);
  }
}
