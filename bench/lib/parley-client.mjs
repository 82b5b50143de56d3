// Small helpers the sections share for talking to Parley's own processes.
import { BrokenRunError } from './load.mjs';

/** Mints `count` anonymous sessions at a gateway and returns their tokens; a broken answer is a broken run. */
export async function mintSessions(gatewayUrl, count) {
  const tokens = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${gatewayUrl}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 200) throw new BrokenRunError(`POST /api/v1/sessions answered ${res.status}: ${text.slice(0, 500)}`);
    const { token } = JSON.parse(text);
    if (typeof token !== 'string') throw new BrokenRunError(`POST /api/v1/sessions returned no token: ${text.slice(0, 500)}`);
    tokens.push(token);
  }
  return tokens;
}

/** One sample of a metric without labels from Prometheus text, NaN if absent. */
export function metric(text, metricName) {
  const match = new RegExp(`^${metricName} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** CPU seconds a service has used so far (its process_cpu_seconds_total). */
export async function cpuSeconds(url) {
  return metric(await (await fetch(`${url}/metrics`)).text(), 'process_cpu_seconds_total');
}

/**
 * Runs a load phase and adds the CPU milliseconds each of `processes` ({ name, url }) spent per
 * request the phase answered (`completed`), keyed by name.
 */
export async function withCpu(processes, phase) {
  const before = await Promise.all(processes.map((p) => cpuSeconds(p.url)));
  const result = await phase();
  const after = await Promise.all(processes.map((p) => cpuSeconds(p.url)));
  const cpuMsPerTurn = Object.fromEntries(processes.map((p, i) => [p.name, ((after[i] - before[i]) * 1000) / result.completed]));
  return { ...result, cpuMsPerTurn };
}
