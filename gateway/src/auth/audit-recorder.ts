import type { Request, Response } from 'express';
import { locals, truncateIp, type AuditEvent, type AuditLog, type Logger } from '@parley/platform';
import type { Principal } from '../identity/index.js';

export interface AuditRecorderOptions {
  ipPrefix: { v4: number; v6: number };
  logger: Logger;
  /** Successful authentications of the same principal from the same address are recorded at most this often. */
  authSuccessIntervalMs: number;
  now?: () => number;
}

type Entry = Omit<AuditEvent, 'trace_id' | 'client_ip'>;

/**
 * Writes audit records for the gateway, adding the trace id and the truncated client
 * address. Audit is not telemetry: records are written whether or not the trace is sampled.
 */
export function createAuditRecorder(audit: AuditLog, options: AuditRecorderOptions) {
  const now = options.now ?? Date.now;
  const recentSuccess = new Map<string, number>();
  const log = options.logger.child({ component: 'audit' });

  const complete = (req: Request, res: Response, entry: Entry): AuditEvent => ({
    ...entry,
    client_ip: truncateIp(req.ip ?? req.socket.remoteAddress ?? 'unknown', { v4PrefixBits: options.ipPrefix.v4, v6PrefixBits: options.ipPrefix.v6 }),
    trace_id: locals(res).traceId,
  });

  const recorder = {
    /** Waits for the record to be durable: for admin actions that must not happen unrecorded. */
    async record(req: Request, res: Response, entry: Entry): Promise<void> {
      await audit.append(complete(req, res, entry));
    },
    /** Records without holding up the response; a failure is logged and counted by the audit log. */
    recordLater(req: Request, res: Response, entry: Entry): void {
      audit.append(complete(req, res, entry)).catch((err: unknown) => log.error({ err, type: entry.type }, 'audit write failed'));
    },
    authSuccess(req: Request, res: Response, principal: Principal): void {
      // UI sessions are recorded when they are created; per-request successes would flood the trail.
      if (principal.kind === 'session') return;
      const key = `${principal.kind}:${principal.id}:${req.ip ?? ''}`;
      const last = recentSuccess.get(key);
      if (last !== undefined && now() - last < options.authSuccessIntervalMs) return;
      recentSuccess.set(key, now());
      if (recentSuccess.size > 10_000) recentSuccess.delete(recentSuccess.keys().next().value as string);
      recorder.recordLater(req, res, {
        type: 'auth.success',
        principal: principal.id,
        principal_kind: principal.kind,
        outcome: 'success',
        details: { role: principal.role },
      });
    },
  };
  return recorder;
}

export type AuditRecorder = ReturnType<typeof createAuditRecorder>;
