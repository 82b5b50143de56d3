import { readFileSync } from 'node:fs';
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
 * Values are never echoed back: they may be secrets. Reads `<NAME>_FILE` secrets first when
 * the schema declares them (see FILE_VARIABLES).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // An empty variable means unset: compose files and Kubernetes often pass `VAR=`.
  const present: Record<string, string | undefined> = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const files = readFileVariables(schema, present);
  const result = schema.safeParse(present);
  if (result.success && files.issues.length === 0) return result.data;
  const schemaIssues = (result.success ? [] : result.error.issues)
    // <NAME> is missing because its file could not be read: that is said once, above.
    .filter((issue) => !files.unread.has(String(issue.path[0])))
    .map((issue) => {
      const path = issue.path.map(String);
      // A value read from <NAME>_FILE is reported under that variable: it is what the operator set.
      if (path[0] !== undefined && files.read.has(path[0])) path[0] = `${path[0]}_FILE (its content)`;
      return `${path.join('.') || '(root)'}: ${issue.message}`;
    });
  throw new ConfigError([...files.issues, ...schemaIssues]);
}

/**
 * Secrets that may be given as a file instead (Docker and Kubernetes secrets): when a schema
 * declares `<NAME>_FILE` and it is set, loadConfig reads that file (surrounding whitespace
 * trimmed) into <NAME> before validation, so the schema's rules for <NAME> apply to its content.
 * Setting both is an error.
 */
const FILE_VARIABLES = ['INTERNAL_SECRET', 'ADMIN_API_KEY'] as const;

/** The object schema under refinements and transforms (`z.object(...).superRefine(...).transform(...)`). */
function objectShape(schema: z.ZodType): Record<string, unknown> | undefined {
  if (schema instanceof z.ZodObject) return schema.shape;
  if (schema instanceof z.ZodPipe) return objectShape(schema.in as z.ZodType);
  return undefined;
}

function readFileVariables(schema: z.ZodType, env: Record<string, string | undefined>): { issues: string[]; read: Set<string>; unread: Set<string> } {
  const issues: string[] = [];
  const read = new Set<string>();
  const unread = new Set<string>();
  const shape = objectShape(schema);
  for (const name of FILE_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    const path = env[fileVariable];
    // Only schemas that declare <NAME>_FILE read it (the OTEL_* schema of the span exporter does not).
    if (path === undefined || !shape || !(fileVariable in shape)) continue;
    if (env[name] !== undefined) {
      issues.push(`${fileVariable}: set ${name} or ${fileVariable}, not both`);
      continue;
    }
    try {
      env[name] = readFileSync(path, 'utf8').trim();
      read.add(name);
    } catch {
      issues.push(`${fileVariable}: cannot be read`);
      unread.add(name);
    }
  }
  return { issues, read, unread };
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
  /** ...or a file holding it (Docker/Kubernetes secrets): loadConfig reads it into INTERNAL_SECRET. */
  INTERNAL_SECRET_FILE: z.string().min(1).optional(),
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
