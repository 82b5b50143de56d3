import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { runPaced } from './pacing.mjs';
import { percentile } from './stats.mjs';

/** A measurement that cannot be trusted (errors, non-2xx answers): the run exits non-zero. */
export class BrokenRunError extends Error {
  name = 'BrokenRunError';
}

/** More than this share of requests failing makes a figure meaningless. */
export const MAX_FAILED_SHARE = 0.001;

function checkFailures(what, { requests, non2xx, errors, sample }) {
  const failed = non2xx + errors;
  if (requests === 0) throw new BrokenRunError(`${what}: no request completed`);
  if (failed / requests > MAX_FAILED_SHARE) {
    throw new BrokenRunError(
      `${what}: ${failed} of ${requests} requests failed (${non2xx} non-2xx, ${errors} errors), more than ${MAX_FAILED_SHARE * 100}%.\n` +
        `  sample: ${sample ?? '(none captured)'}`,
    );
  }
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i/rate, whatever happened to
 * the previous ones, and goes out on an idle connection. `headersFor(connection)` returns the
 * header sets (e.g. sessions) that connection cycles through, one per request. autocannon's `overallRate` is not used for this: it lets every connection fire
 * its quota for the second back to back at the start of each second (a burst, then silence),
 * and records latencies in whole milliseconds, too coarse for sub-millisecond differences.
 *
 * Latency runs from writing the request to the end of the response body. When every
 * connection is busy the request waits, and its latency counts from when it was due
 * (no coordinated omission); `late` says how often that happened. When a whole second's worth
 * of requests is waiting, the target cannot sustain the rate: the run stops early and says
 * when (`saturatedAfterMs`, from the start of the warm-up).
 */
export async function pacedLoad({ url, method = 'POST', path, body, rate, connections, warmupMs, durationMs, headersFor, what }) {
  const target = new URL(url);
  // No body (a GET): no content headers either.
  const payload = body === undefined ? undefined : Buffer.from(body);
  const bodyHeaders = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length };
  const slots = Array.from({ length: connections }, (_, i) => ({
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    headerSets: headersFor(i).map((h) => ({ ...h, ...bodyHeaders })),
    sent: 0,
  }));
  const latencies = [];
  const counts = { requests: 0, non2xx: 0, errors: 0, sample: undefined };
  let completed = 0;

  const fire = (slot, { t0, measured, release }) => {
    let settled = false;
    const finish = (status, text) => {
      if (settled) return;
      settled = true;
      const ms = performance.now() - t0;
      completed++;
      if (measured) {
        counts.requests++;
        if (status >= 200 && status < 300) latencies.push(ms);
        else {
          if (status === 0) counts.errors++;
          else counts.non2xx++;
          counts.sample ??= `${status || 'error'} ${text.slice(0, 500)}`;
        }
      }
      release();
    };
    const headers = slot.headerSets[slot.sent++ % slot.headerSets.length];
    const req = request({ host: target.hostname, port: target.port, method, path, agent: slot.agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString()));
      res.on('error', (err) => finish(0, String(err)));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', (err) => finish(0, String(err)));
    req.end(payload);
  };

  const paced = await runPaced({ rate, slots, warmupMs, durationMs, fire });
  for (const slot of slots) slot.agent.destroy();

  if (paced.saturatedAfterMs === undefined || counts.requests > 0) checkFailures(what, counts);
  latencies.sort((a, b) => a - b);
  return {
    saturatedAfterMs: paced.saturatedAfterMs,
    requests: counts.requests,
    completed,
    non2xx: counts.non2xx,
    errors: counts.errors,
    late: paced.late,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

function autocannonOnce({ url, method, path, body, connections, durationSec, headersFor }) {
  let next = 0;
  let sample;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: durationSec,
        timeout: 10,
        // Runs once per connection: the connection cycles through its own header sets (its own sessions).
        setupClient(client) {
          client.setRequests(
            headersFor(next++ % connections).map((headers) => ({
              method,
              path,
              ...(body === undefined ? { headers } : { body, headers: { ...headers, 'content-type': 'application/json' } }),
              onResponse(status, resBody) {
                if (status < 200 || status >= 300) sample ??= `${status} ${String(resBody).slice(0, 500)}`;
              },
            })),
          );
        },
      },
      (err, result) => (err ? reject(err) : resolve({ result, sample })),
    );
  });
}

/**
 * Closed-loop maximum throughput with autocannon: `connections` requests always in flight,
 * each connection cycling through the header sets `headersFor(connection)` returns. The
 * warm-up ends with requests cut off mid-flight; `warmupHeadersFor` lets it use other
 * sessions than the measured run, so nothing it leaves behind affects the figure.
 */
export async function maxThroughput({ url, method = 'POST', path, body, connections, warmupSec, durationSec, headersFor, warmupHeadersFor = headersFor, what }) {
  const options = { url, method, path, body, connections, headersFor };
  let warmupCompleted = 0;
  if (warmupSec > 0) {
    warmupCompleted = (await autocannonOnce({ ...options, headersFor: warmupHeadersFor, durationSec: warmupSec })).result.requests.total;
    // Requests cut off by the end of the warm-up finish before the measured run starts.
    await sleep(250);
  }
  const { result, sample } = await autocannonOnce({ ...options, durationSec });
  const ok = result['2xx'];
  // autocannon counts timeouts among its errors.
  const counts = { requests: ok + result.non2xx + result.errors, non2xx: result.non2xx, errors: result.errors, sample };
  checkFailures(what, counts);
  return {
    requests: counts.requests,
    completed: warmupCompleted + result.requests.total,
    non2xx: counts.non2xx,
    errors: counts.errors,
    rps: ok / result.duration,
    durationSec: result.duration,
  };
}
