// Test doubles shared by the web unit tests (not part of any bundle: nothing in the app imports them).

const encoder = new TextEncoder();

/** A reply body the test writes to event by event; it errors like fetch's body does when the request is aborted. */
export function createReplyStream(signal: AbortSignal) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  signal.addEventListener('abort', () => controller.error(signal.reason));
  return {
    body,
    event(name: string, data: unknown) {
      controller.enqueue(encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close() {
      controller.close();
    },
  };
}

export type Reply = ReturnType<typeof createReplyStream>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type, ...headers } });
}

/** An RFC 9457 problem response as the gateway sends it. */
export function problem(status: number, code: string, detail: string, headers: Record<string, string> = {}): Response {
  return json(status, { type: `https://parley.dev/problems/${code}`, title: code, status, detail, code, trace_id: 'trace-123' }, headers);
}
