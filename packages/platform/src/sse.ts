import type { Request, Response } from 'express';

export interface SseStream {
  /** Sends one event; returns false once the client has gone. */
  send(event: string, data: unknown): boolean;
  /** Sends a raw `data:` line without an event name (OpenAI style). */
  data(payload: string): boolean;
  /** Sends a comment line (`: text`): clients ignore it; Parley's gateway reads its reports from it. */
  comment(text: string): boolean;
  end(): void;
  readonly closed: boolean;
  /** Aborts when the client disconnects: pass it to upstream calls. */
  readonly signal: AbortSignal;
}

/**
 * Starts a Server-Sent Events response: headers flushed at once, no buffering by proxies,
 * a heartbeat comment so idle connections are not cut, and an AbortSignal tied to the client.
 */
export function startSse(req: Request, res: Response, options: { heartbeatMs?: number } = {}): SseStream {
  const controller = new AbortController();
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  let closed = false;
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const onClose = (): void => {
    closed = true;
    clearInterval(heartbeat);
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  };
  res.once('close', onClose);
  req.once('aborted', onClose);
  return {
    send(event, data) {
      if (closed) return false;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    data(payload) {
      if (closed) return false;
      res.write(`data: ${payload}\n\n`);
      return true;
    },
    comment(text) {
      if (closed) return false;
      res.write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
      return true;
    },
    end() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      res.end();
    },
    get closed() {
      return closed;
    },
    signal: controller.signal,
  };
}
