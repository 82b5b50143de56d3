import { Agent, request } from 'node:http';
import { BrokenRunError, MAX_FAILED_SHARE } from './load.mjs';
import { runPaced } from './pacing.mjs';
import { percentile } from './stats.mjs';

/**
 * An incremental Server-Sent Events parser: feed it decoded text as it arrives, it calls
 * `onEvent({ event, data })` for every complete event (blank-line terminated; `event`
 * defaults to "message", several `data:` lines are joined with "\n", comments such as
 * heartbeats are skipped).
 */
export function createSseParser(onEvent) {
  let buffer = '';
  return (text) => {
    buffer += text.replaceAll('\r\n', '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent({ event, data: data.join('\n') });
    }
  };
}

/**
 * Sends one streamed request and follows its events. `classify(event)` names what an event
 * is for the protocol at hand: 'content' (carries output text), 'end' (the stream finished
 * cleanly), 'error' (a terminal error event) or anything else (ignored). Calls back:
 * `onFirstContent()` once, `onContent()` for every content event, and `onSettled(outcome)`
 * exactly once, with `{ ok: true }` or `{ ok: false, status, detail }` (status 0: no HTTP
 * answer, or a stream that broke, ended without its end event or never carried content).
 * Returns the ClientRequest, so a caller can destroy it to hang up.
 */
export function streamRequest({ target, path, headers, payload, agent, classify, timeoutMs, onFirstContent, onContent, onSettled }) {
  let settled = false;
  const settle = (outcome) => {
    if (settled) return;
    settled = true;
    onSettled(outcome);
  };
  let answered = false;
  const req = request({ host: target.hostname, port: target.port, method: 'POST', path, agent, headers }, (res) => {
    answered = true;
    const status = res.statusCode ?? 0;
    // 'end' comes first when the response is complete; otherwise the connection broke mid-way.
    res.on('close', () => settle({ ok: false, status, detail: 'the connection closed mid-response' }));
    res.setEncoding('utf8');
    if (status < 200 || status >= 300) {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => settle({ ok: false, status, detail: text.slice(0, 500) }));
      res.on('error', (err) => settle({ ok: false, status, detail: String(err) }));
      return;
    }
    let contentSeen = false;
    let ended = false;
    let failure;
    res.on(
      'data',
      createSseParser((event) => {
        const kind = classify(event);
        if (kind === 'content') {
          if (!contentSeen) {
            contentSeen = true;
            onFirstContent?.();
          }
          onContent?.();
        } else if (kind === 'end') ended = true;
        else if (kind === 'error') failure ??= `error event: ${event.data.slice(0, 500)}`;
      }),
    );
    res.on('end', () => {
      if (failure) settle({ ok: false, status: 0, detail: failure });
      else if (!ended) settle({ ok: false, status: 0, detail: 'the stream ended without its end event' });
      else if (!contentSeen) settle({ ok: false, status: 0, detail: 'the stream carried no content' });
      else settle({ ok: true });
    });
    res.on('error', (err) => settle({ ok: false, status: 0, detail: String(err) }));
  });
  req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
  req.on('error', (err) => settle({ ok: false, status: 0, detail: String(err) }));
  req.on('close', () => {
    if (!answered) settle({ ok: false, status: 0, detail: 'the connection closed before the response' });
  });
  req.end(payload);
  return req;
}

function checkStreamFailures(what, { requests, non2xx, errors, sample }) {
  const failed = non2xx + errors;
  if (requests === 0) throw new BrokenRunError(`${what}: no stream completed`);
  if (failed / requests > MAX_FAILED_SHARE) {
    throw new BrokenRunError(
      `${what}: ${failed} of ${requests} streams failed (${non2xx} non-2xx, ${errors} errors or broken streams), more than ${MAX_FAILED_SHARE * 100}%.\n` +
        `  sample: ${sample ?? '(none captured)'}`,
    );
  }
}

const sseHeaders = (payload) => ({ accept: 'text/event-stream', 'content-type': 'application/json', 'content-length': payload.length });

/**
 * Streamed requests at a fixed rate, paced like `pacedLoad` (open loop, `connections`
 * keep-alive connections, warm-up, latency from when a request was due if it had to wait; see
 * `runPaced`). Records two latencies per stream: time to first content (`ttft*`: from writing
 * the request to the first event `classify` calls 'content') and time to the end of the
 * response (`total*`). A stream counts as failed when it is not 2xx, carries an error event,
 * breaks, or ends without its end event or without content; more than 0.1% failed throws
 * BrokenRunError. `headersFor(connection)` returns the header sets that connection cycles
 * through, one per request.
 */
export async function pacedStreams({ url, path, body, rate, connections, warmupMs, durationMs, headersFor, classify, what, timeoutMs = 10_000 }) {
  const target = new URL(url);
  const payload = Buffer.from(body);
  const slots = Array.from({ length: connections }, (_, i) => ({
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    headerSets: headersFor(i).map((h) => ({ ...h, ...sseHeaders(payload) })),
    sent: 0,
  }));
  const ttfts = [];
  const totals = [];
  const counts = { requests: 0, non2xx: 0, errors: 0, sample: undefined };
  let completed = 0;

  const schedule = await runPaced({
    rate,
    slots,
    warmupMs,
    durationMs,
    fire(slot, { t0, measured, release }) {
      let firstAt;
      streamRequest({
        target,
        path,
        payload,
        agent: slot.agent,
        headers: slot.headerSets[slot.sent++ % slot.headerSets.length],
        classify,
        timeoutMs,
        onFirstContent: () => (firstAt = performance.now()),
        onSettled(outcome) {
          const doneAt = performance.now();
          completed++;
          if (measured) {
            counts.requests++;
            if (outcome.ok) {
              ttfts.push(firstAt - t0);
              totals.push(doneAt - t0);
            } else {
              if (outcome.status === 0) counts.errors++;
              else counts.non2xx++;
              counts.sample ??= `${outcome.status || 'error'} ${outcome.detail}`;
            }
          }
          release();
        },
      });
    },
  });
  for (const slot of slots) slot.agent.destroy();

  if (schedule.saturatedAfterMs === undefined || counts.requests > 0) checkStreamFailures(what, counts);
  ttfts.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  return {
    saturatedAfterMs: schedule.saturatedAfterMs,
    requests: counts.requests,
    completed,
    non2xx: counts.non2xx,
    errors: counts.errors,
    late: schedule.late,
    ttftP50: percentile(ttfts, 50),
    ttftP95: percentile(ttfts, 95),
    ttftP99: percentile(ttfts, 99),
    totalP50: percentile(totals, 50),
    totalP99: percentile(totals, 99),
  };
}

/**
 * Opens `count` streamed requests, `rate` per second, each on its own connection, and keeps
 * them open. Resolves once every stream has received its first content event, or has failed,
 * or `firstContentTimeoutMs` has passed since the last one was opened. The caller then
 * measures whatever it wants while they are held, and hangs up with `close()`.
 *
 * Returns live counters: `opened`, `withContent` (streams that received content),
 * `contentEvents` (all content events so far, over all streams), `ended` (streams that
 * finished on their own: they were not held to the end), `failed` with a `sample`,
 * `firstContentMs` (sorted, per stream, from writing the request) and `close()`.
 * `bodyFor(i)` and `headersFor(i)` give stream i its body and headers.
 */
export async function holdStreams({ url, path, count, rate, bodyFor, headersFor, classify, firstContentTimeoutMs = 30_000, idleTimeoutMs = 120_000 }) {
  const target = new URL(url);
  const state = { opened: 0, withContent: 0, contentEvents: 0, ended: 0, failed: 0, sample: undefined, firstContentMs: [] };
  const requests = [];
  let closing = false;
  let notify;
  const progress = () => notify?.();

  const open = (i) => {
    const payload = Buffer.from(bodyFor(i));
    const t0 = performance.now();
    state.opened++;
    const req = streamRequest({
      target,
      path,
      payload,
      // Its own connection: 1,000 open streams are 1,000 sockets, as 1,000 browsers would be.
      agent: false,
      headers: { ...headersFor(i), ...sseHeaders(payload) },
      classify,
      timeoutMs: idleTimeoutMs,
      onFirstContent() {
        state.withContent++;
        state.firstContentMs.push(performance.now() - t0);
        progress();
      },
      onContent: () => state.contentEvents++,
      onSettled(outcome) {
        if (closing) return;
        if (outcome.ok) state.ended++;
        else {
          state.failed++;
          state.sample ??= `${outcome.status || 'error'} ${outcome.detail}`;
        }
        progress();
      },
    });
    requests.push(req);
  };

  const interval = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    open(i);
  }
  const deadline = performance.now() + firstContentTimeoutMs;
  while (state.withContent + state.failed < count && performance.now() < deadline) {
    await new Promise((resolve) => {
      notify = resolve;
      setTimeout(resolve, 250);
    });
  }
  notify = undefined;
  state.firstContentMs.sort((a, b) => a - b);
  return Object.assign(state, {
    /** Hangs up every stream, as closing 1,000 browser tabs would. */
    close() {
      closing = true;
      for (const req of requests) req.destroy();
    },
  });
}
