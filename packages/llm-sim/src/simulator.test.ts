import { createLogger, createMetrics } from '@parley/platform';
import { describe, expect, it } from 'vitest';
import { parseFaultSpec } from './faults.js';
import type { SimSettings } from './settings.js';
import { createSimulator } from './simulator.js';

const initial: SimSettings = {
  ttft_ms: 0,
  tokens_per_second: 0,
  latency_ms: 0,
  reply_tokens: 40,
  fault_rates: {},
  retry_after_ms: 1000,
  stall_after: 3,
  cut_after: 4,
  seed: 7,
};

function simulator(random?: () => number) {
  return createSimulator({
    initial,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({ service: 'llm-sim', level: 'silent' }),
    ...(random ? { random } : {}),
  });
}

describe('Simulator.chooseFault', () => {
  it('injects nothing by default', () => {
    expect(simulator().chooseFault(undefined, 'k')).toBeUndefined();
  });

  it('fills in defaults: Retry-After for 429 and 503, chunk counts for stall and cut', () => {
    const sim = simulator();
    expect(sim.chooseFault(parseFaultSpec('429'), 'k')).toEqual({ kind: 'status', status: 429, retryAfterMs: 1000 });
    expect(sim.chooseFault(parseFaultSpec('503;retry_after=4'), 'k')).toEqual({
      kind: 'status',
      status: 503,
      retryAfterSeconds: 4,
    });
    expect(sim.chooseFault(parseFaultSpec('500'), 'k')).toEqual({ kind: 'status', status: 500 });
    expect(sim.chooseFault(parseFaultSpec('stall'), 'k')).toEqual({ kind: 'stall', after: 3 });
    expect(sim.chooseFault(parseFaultSpec('cut'), 'k')).toEqual({ kind: 'cut', after: 4 });
  });

  it('applies a times=N fault to the first N requests of the same conversation only', () => {
    const sim = simulator();
    const fault = parseFaultSpec('429;times=2');
    expect(sim.chooseFault(fault, 'a')?.kind).toBe('status');
    expect(sim.chooseFault(fault, 'b')?.kind).toBe('status');
    expect(sim.chooseFault(fault, 'a')?.kind).toBe('status');
    expect(sim.chooseFault(fault, 'a')).toBeUndefined();
    expect(sim.chooseFault(fault, 'b')?.kind).toBe('status');
    expect(sim.chooseFault(fault, 'b')).toBeUndefined();
  });

  it('uses fail_next for the next N requests, after which requests pass again', () => {
    const sim = simulator();
    sim.configure({ fail_next: { count: 2, fault: '503' } });
    expect(sim.view().fail_next).toEqual({ count: 2, fault: '503' });
    expect(sim.chooseFault(undefined, 'k')).toMatchObject({ status: 503 });
    expect(sim.view().fail_next).toEqual({ count: 1, fault: '503' });
    expect(sim.chooseFault(undefined, 'k')).toMatchObject({ status: 503 });
    expect(sim.chooseFault(undefined, 'k')).toBeUndefined();
    expect(sim.view().fail_next).toBeNull();
  });

  it('lets a request opt out of global faults with `none`, without using up fail_next', () => {
    const sim = simulator();
    sim.configure({ fail_next: { count: 1, fault: 'reset' }, fault_rates: { '500': 100 } });
    expect(sim.chooseFault(parseFaultSpec('none'), 'k')).toBeUndefined();
    expect(sim.chooseFault(undefined, 'k')).toEqual({ kind: 'reset' });
    expect(sim.chooseFault(undefined, 'k')).toEqual({ kind: 'status', status: 500 });
  });

  it('draws rate faults in key order against the injected randomness', () => {
    const draws = [0.05, 0.12, 0.2, 0.99];
    const sim = simulator(() => draws.shift() ?? 0.99);
    sim.configure({ fault_rates: { '429': 10, timeout: 5 } });
    expect(sim.chooseFault(undefined, 'k')).toMatchObject({ status: 429 });
    expect(sim.chooseFault(undefined, 'k')).toEqual({ kind: 'timeout' });
    expect(sim.chooseFault(undefined, 'k')).toBeUndefined();
    expect(sim.chooseFault(undefined, 'k')).toBeUndefined();
  });

  it('repeats the same fault sequence after a reset (PRNG reseeded)', () => {
    const sim = simulator();
    sim.configure({ fault_rates: { '500': 30 } });
    const first = Array.from({ length: 50 }, () => sim.chooseFault(undefined, 'k')?.kind ?? 'ok');
    sim.reset();
    sim.configure({ fault_rates: { '500': 30 } });
    const second = Array.from({ length: 50 }, () => sim.chooseFault(undefined, 'k')?.kind ?? 'ok');
    expect(second).toEqual(first);
    expect(first.filter((k) => k === 'status').length).toBeGreaterThan(0);
  });
});

describe('Simulator.configure and reset', () => {
  it('merges a patch, validates it, and reset restores the start settings and zeroes the counters', () => {
    const sim = simulator();
    sim.configure({ ttft_ms: 50, fault_rates: { '429': 10 } });
    expect(sim.settings).toMatchObject({ ttft_ms: 50, tokens_per_second: 0, fault_rates: { '429': 10 } });
    expect(() => sim.configure({ fault_rates: { '429': 60, '500': 50 } })).toThrow();
    expect(() => sim.configure({ fail_next: { count: 1, fault: 'bogus' } })).toThrow(/unknown fault item/);
    expect(sim.settings.fault_rates).toEqual({ '429': 10 });
    sim.requestStarted();
    sim.requestEnded('cancelled', true);
    expect(sim.stats()).toMatchObject({ requests_total: 1, cancellations: 1, in_flight: 0 });
    sim.reset();
    expect(sim.settings).toEqual(initial);
    expect(sim.stats()).toMatchObject({ requests_total: 0, cancellations: 0, outcomes: { cancelled: 0 } });
  });
});
