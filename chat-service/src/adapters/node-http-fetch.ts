import http from 'node:http';
import https from 'node:https';

export interface NodeHttpFetchOptions {
  /** How long an idle keep-alive connection waits to be reused (less when the server's Keep-Alive hint says so). */
  idleSocketMs?: number;
}

/** Statuses whose Response must have a null body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` over node:http(s) with keep-alive agents of its own, for the LLM provider calls.
 *
 * Why not the global fetch: Node's undici, when a request is aborted while its response is
 * still streaming (a client hanging up on a chat turn), puts the aborted request back in its
 * queue, opens a NEW connection for it and only then drops it (nodejs/undici#5845). That
 * connection never carries a request and, while other calls keep the origin's pool alive, stays
 * until 2 s before the provider's `Keep-Alive: timeout` (or until the provider closes it): one
 * idle provider connection per cancelled stream. node:http destroys the aborted socket and
 * opens nothing; idle sockets go after `idleSocketMs`.
 *
 * Covers what the openai SDK needs: any method, headers, a body (buffered), an AbortSignal
 * (a reject or a body error with the signal's reason, as fetch does) and a streamed response
 * body. Bodies are asked for uncompressed (`accept-encoding: identity`); no redirects.
 */
export function createNodeHttpFetch(options: NodeHttpFetchOptions = {}): typeof fetch {
  const agentOptions = { keepAlive: true, timeout: options.idleSocketMs ?? 4_000, scheduling: 'lifo' as const };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

  return async function nodeHttpFetch(input, init) {
    // A Request normalises every input form: URL, method, headers, body types, signal.
    const request = new Request(input, init);
    const { signal } = request;
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    signal.throwIfAborted();
    const url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) headers[name] = value;
    headers['accept-encoding'] = 'identity';
    if (body) headers['content-length'] = String(body.byteLength);
    const transport = url.protocol === 'https:' ? { send: https.request, agent: agents.https } : { send: http.request, agent: agents.http };

    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;
      const req = transport.send(url, { method: request.method, headers, agent: transport.agent });
      const done = () => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
      };
      // Before the response: reject; after it: the body errors (an aborted body as fetch does, with the reason).
      const fail = (err: unknown) => {
        if (settled) return;
        done();
        if (bodyController) bodyController.error(err);
        else reject(err);
        req.destroy();
      };
      const onAbort = () => fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => fail(new TypeError(bodyController ? 'terminated' : 'fetch failed', { cause: err })));
      req.on('response', (res) => {
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
        const status = res.statusCode ?? 0;
        const responseInit = { status, statusText: res.statusMessage ?? '', headers: responseHeaders };
        if (NULL_BODY_STATUSES.has(status) || request.method === 'HEAD') {
          done();
          res.resume();
          resolve(new Response(null, responseInit));
          return;
        }
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            bodyController = controller;
            res.on('data', (chunk: Buffer) => {
              if (settled) return;
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if ((controller.desiredSize ?? 0) <= 0) res.pause();
            });
            res.on('end', () => {
              if (settled) return;
              done();
              controller.close();
            });
            res.on('error', (err) => fail(new TypeError('terminated', { cause: err })));
            res.on('close', () => {
              if (!res.complete) fail(new TypeError('terminated', { cause: new Error('the response was cut off') }));
            });
          },
          pull() {
            res.resume();
          },
          cancel() {
            if (settled) return;
            done();
            req.destroy();
          },
        });
        resolve(new Response(stream, responseInit));
      });
      req.end(body);
    });
  };
}
