import { z } from 'zod';
import { baseConfigSchema, portSchema, urlSchema } from '@parley/platform';

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);
const role = z.enum(['user', 'admin', 'auditor']);

export const configSchema = baseConfigSchema
  .extend({
    PORT: portSchema.default(8080),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    CHAT_SERVICE_URL: urlSchema.default('http://127.0.0.1:8081'),
    /** Inactivity limit on a proxied response (streams send a heartbeat every 15 s). */
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
    /** The built UI; defaults to the workspace's web/dist. */
    WEB_DIST_DIR: z.string().min(1).optional(),

    /** Express `trust proxy`: unset trusts no X-Forwarded-For; e.g. `1`, `loopback`, `10.0.0.0/8`. */
    TRUST_PROXY: z.string().min(1).optional(),
    /** Origins allowed to call the API from a browser (the embedded widget); none by default. */
    CORS_ORIGINS: list.default([]),

    SESSION_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(60).default(1_800),
    /** Signs session tokens; derived from INTERNAL_SECRET when unset. */
    SESSION_TOKEN_SECRET: z.string().min(32).optional(),
    /** The bootstrap admin key, or a file holding it (Docker/Kubernetes secrets; loadConfig reads ADMIN_API_KEY_FILE into it). */
    ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
    ADMIN_API_KEY_FILE: z.string().min(1).optional(),
    /** Peppers API key hashes; derived from INTERNAL_SECRET when unset (then rotating that secret invalidates keys). */
    API_KEY_PEPPER: z.string().min(32).optional(),

    /** Optional OIDC bearer tokens from the deployment's identity provider. */
    OIDC_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    OIDC_ISSUER: z.string().min(1).optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_ALGORITHMS: list.default(['RS256']),
    OIDC_ROLE_CLAIM: z.string().min(1).default('roles'),
    /** claim value=role pairs, e.g. `parley-admin=admin,parley-auditor=auditor,parley-user=user`. */
    OIDC_ROLE_MAP: z
      .string()
      .default('')
      .transform((s, ctx) => {
        const map: Record<string, z.infer<typeof role>> = {};
        for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
          const [claim, value] = pair.split('=').map((x) => x.trim());
          const parsed = role.safeParse(value);
          if (!claim || !parsed.success) {
            ctx.addIssue({ code: 'custom', message: `"${pair}" is not claim=user|admin|auditor` });
            return z.NEVER;
          }
          map[claim] = parsed.data;
        }
        return map;
      }),

    /** Requests per window (a minute unless RATE_LIMIT_WINDOW_SECONDS says otherwise). */
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    RATE_LIMIT_IP_PER_MINUTE: perMinute(300),
    RATE_LIMIT_SESSION_PER_MINUTE: perMinute(30),
    RATE_LIMIT_API_KEY_PER_MINUTE: perMinute(600),
    /** What limits do while Redis is unreachable: a per-process limiter (open) or 503 (closed). */
    LIMITS_ON_REDIS_FAILURE: z.enum(['open', 'closed']).default('open'),
    /** A limit check slower than this counts as Redis failing (then the policy above applies). */
    LIMITS_REDIS_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(1_000),
    /** Tokens per UTC day. */
    TOKEN_BUDGET_SESSION_PER_DAY: z.coerce.number().int().min(1).default(200_000),
    TOKEN_BUDGET_API_KEY_PER_DAY: z.coerce.number().int().min(1).default(2_000_000),
    /** Output tokens reserved per chat call before the real usage is known (chat-service's LLM_MAX_TOKENS). */
    TOKEN_RESERVE_OUTPUT: z.coerce.number().int().min(1).default(512),
    /** Spend across all users per UTC day; LLM traffic stops with 503 when it is used up. */
    COST_BUDGET_USD_PER_DAY: z.coerce.number().min(0).default(50),
    PRICE_INPUT_USD_PER_MTOK: z.coerce.number().min(0).default(0.15),
    PRICE_OUTPUT_USD_PER_MTOK: z.coerce.number().min(0).default(0.6),
    /** Longest time one chat request holds its session's single in-flight slot. */
    CHAT_LEASE_MS: z.coerce.number().int().min(1_000).default(180_000),

    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(180),
    AUDIT_IP_V4_PREFIX: z.coerce.number().int().min(0).max(32).default(24),
    AUDIT_IP_V6_PREFIX: z.coerce.number().int().min(0).max(128).default(48),
    /** Repeated successful authentications of one API key/OIDC principal are recorded at most this often (0 = every request). */
    AUDIT_AUTH_SUCCESS_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),

    MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(100_000).default(4_000),
    MAX_BODY_BYTES: z.coerce.number().int().min(1_024).default(64 * 1024),
    FEEDBACK_ENABLED: z.stringbool().default(false),
    /**
     * The UI's consent banner (issue 6): `auto` asks unless the host page runs its own consent
     * manager, `always` asks, `never` stores the session in the browser without asking (the
     * operator has settled consent elsewhere).
     */
    CONSENT_MODE: z.enum(['always', 'never', 'auto']).default('auto'),
    /** Link to the privacy notice that the UI shows next to its privacy controls. */
    PRIVACY_URL: z.url({ protocol: /^https?$/ }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.OIDC_JWKS_URL && (!c.OIDC_ISSUER || !c.OIDC_AUDIENCE)) {
      ctx.addIssue({ code: 'custom', path: ['OIDC_JWKS_URL'], message: 'needs OIDC_ISSUER and OIDC_AUDIENCE' });
    }
  });

export type Config = z.output<typeof configSchema>;
