import { trace, type Attributes } from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, RateLimitedError, addLogBindings, type Identity } from '@parley/platform';
import type { GatewayMetrics } from '../gateway-metrics.js';
import { authFailureReason, type Principal, type Role } from '../identity/index.js';
import { rateLimitHeaders, type BudgetDecision, type LimitStore, type RateDecision, type RateHit, type RatePolicy } from '../limits/index.js';
import type { AuditRecorder } from './audit-recorder.js';
import { attemptedAuthMethod, authMethodOf, type Authenticated, type Authenticator } from './authenticator.js';

export interface RatePolicies {
  ip: RatePolicy;
  session: RatePolicy;
  apiKey: RatePolicy;
}

export interface AccessDeps {
  authenticator: Authenticator;
  limits: LimitStore;
  audit: AuditRecorder;
  metrics: GatewayMetrics;
  rates: RatePolicies;
}

/** Per-request access state kept in res.locals. */
interface AccessLocals {
  auth?: Authenticated;
  rateDecisions?: RateDecision[];
  tokenDecision?: BudgetDecision;
}

const access = (res: Response): AccessLocals => res.locals as AccessLocals;

/**
 * Audit attributes on the request's HTTP server span: pseudonymous ids and decision outcomes
 * only, never a credential or message text.
 */
export function noteSpanAttributes(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

export function principalOf(res: Response): Principal {
  const auth = access(res).auth;
  if (!auth) throw new Error('principalOf called before authenticate');
  return auth.principal;
}

export function authOf(res: Response): Authenticated | undefined {
  return access(res).auth;
}

/** The identity chat-service receives for this request's principal (signed by the caller). */
export function internalIdentityOf(res: Response): Identity {
  const principal = principalOf(res);
  const session = authOf(res)?.session?.session;
  return {
    sub: principal.id,
    kind: principal.kind === 'session' ? 'session' : 'api_key',
    role: principal.role,
    ...(session ? { lang: session.language } : {}),
  };
}

/** Sets every rate-limit header from the decisions taken so far (IP, principal, tokens). */
function applyLimitHeaders(res: Response): void {
  const state = access(res);
  const headers = rateLimitHeaders(state.rateDecisions ?? [], state.tokenDecision);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

export function noteTokenDecision(res: Response, decision: BudgetDecision): void {
  access(res).tokenDecision = decision;
  applyLimitHeaders(res);
}

/** Counts the request against every policy at once (one round trip); 429 with Retry-After and an audit record when over. */
async function charge(deps: AccessDeps, req: Request, res: Response, hits: RateHit[], principal?: Principal): Promise<void> {
  const decisions = await deps.limits.hitAll(hits);
  const state = access(res);
  state.rateDecisions = [...(state.rateDecisions ?? []), ...decisions];
  applyLimitHeaders(res);
  const refused = decisions.find((d) => !d.allowed);
  if (!refused) {
    noteSpanAttributes({ 'parley.ratelimit.outcome': 'admitted' });
    return;
  }
  const { policy } = refused;
  noteSpanAttributes({ 'parley.ratelimit.outcome': 'rejected', 'parley.ratelimit.policy': policy.name });
  deps.audit.recordLater(req, res, {
    type: 'ratelimit.rejected',
    principal: principal?.id ?? 'anonymous',
    principal_kind: principal?.kind ?? 'anonymous',
    outcome: 'rejected',
    reason: `rate_limit:${policy.name}`,
  });
  throw new RateLimitedError(`Too many requests: at most ${policy.limit} per ${policy.windowSeconds} s (${policy.name}).`, {
    retryAfterSeconds: refused.retryAfterSeconds,
    extensions: { policy: policy.name },
  });
}

const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

export function createAccess(deps: AccessDeps) {
  return {
    /**
     * Per client address, for routes without a credential (minting sessions: new sessions do not
     * reset it). Authenticated routes charge the address together with the principal, and failed
     * authentications charge it too, so guessing credentials is limited as well.
     */
    limitByIp: (): RequestHandler => async (req, res, next) => {
      await charge(deps, req, res, [{ policy: deps.rates.ip, subject: clientAddress(req) }]);
      next();
    },

    /** Resolves the bearer credential; failures are counted, audited and answered 401 (503 if the backend is down). */
    authenticate: (): RequestHandler => async (req, res, next) => {
      let auth: Authenticated;
      try {
        auth = await deps.authenticator.authenticate(req.headers);
      } catch (err) {
        deps.metrics.authDecisions.inc({ method: attemptedAuthMethod(req.headers.authorization), outcome: 'failure' });
        const reason = authFailureReason(err) ?? ((err as { code?: unknown }).code === 'session_expired' ? 'expired' : undefined);
        noteSpanAttributes({ 'parley.auth.outcome': 'failure', 'parley.auth.failure_reason': reason ?? 'error' });
        if (reason) {
          deps.metrics.authFailures.inc({ reason });
          await charge(deps, req, res, [{ policy: deps.rates.ip, subject: clientAddress(req) }]);
          const keyId = (err as { keyId?: string }).keyId;
          deps.audit.recordLater(req, res, {
            type: 'auth.failure',
            principal: keyId ?? 'anonymous',
            principal_kind: keyId ? 'api_key' : 'anonymous',
            outcome: 'failure',
            reason,
          });
        }
        throw err;
      }
      deps.metrics.authDecisions.inc({ method: authMethodOf(auth.principal), outcome: 'success' });
      access(res).auth = auth;
      noteSpanAttributes({ 'parley.auth.outcome': 'success', 'enduser.pseudo.id': auth.principal.id, 'parley.principal.kind': auth.principal.kind });
      addLogBindings(res, { principal_kind: auth.principal.kind, principal: auth.principal.id });
      deps.audit.authSuccess(req, res, auth.principal);
      next();
    },

    /** Per client address and per session or key, after authentication, in one atomic step. */
    limitByPrincipal: (): RequestHandler => async (req, res, next) => {
      const principal = principalOf(res);
      const policy = principal.kind === 'session' ? deps.rates.session : deps.rates.apiKey;
      await charge(
        deps,
        req,
        res,
        [
          { policy: deps.rates.ip, subject: clientAddress(req) },
          { policy, subject: `${principal.kind}:${principal.id}` },
        ],
        principal,
      );
      next();
    },

    requireRole:
      (...roles: Role[]): RequestHandler =>
      (req, res, next) => {
        const principal = principalOf(res);
        if (roles.includes(principal.role)) return next();
        noteSpanAttributes({ 'parley.authz.outcome': 'denied' });
        deps.audit.recordLater(req, res, {
          type: 'authz.denied',
          principal: principal.id,
          principal_kind: principal.kind,
          outcome: 'denied',
          reason: `needs_role:${roles.join('/')}`,
          details: { role: principal.role, path: req.originalUrl.split('?')[0] ?? '' },
        });
        next(new ForbiddenError(`This needs the ${roles.join(' or ')} role.`));
      },

  };
}

export type Access = ReturnType<typeof createAccess>;
