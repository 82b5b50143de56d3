import { describe, expect, it } from 'vitest';
import { FaultSpecError, faultFromRateKey, faultLabel, parseFaultSpec } from './faults.js';

describe('parseFaultSpec', () => {
  it.each([
    ['429', { kind: 'status', status: 429 }],
    ['status=503', { kind: 'status', status: 503 }],
    ['status=429;retry_after_ms=1500', { kind: 'status', status: 429, retryAfterMs: 1500 }],
    [' 429 ; retry_after=3 ', { kind: 'status', status: 429, retryAfterSeconds: 3 }],
    ['500;times=2', { kind: 'status', status: 500, times: 2 }],
    ['timeout', { kind: 'timeout' }],
    ['reset', { kind: 'reset' }],
    ['stall', { kind: 'stall' }],
    ['stall_after=3', { kind: 'stall', after: 3 }],
    ['cut_after=0', { kind: 'cut', after: 0 }],
    ['cut;cut_after=2', { kind: 'cut', after: 2 }],
    ['none', { kind: 'none' }],
  ])('parses %j', (spec, expected) => {
    expect(parseFaultSpec(spec)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['200', /between 400 and 599/],
    ['status=abc', /whole number/],
    ['429;timeout', /one fault/],
    ['timeout;retry_after_ms=10', /go with an HTTP status/],
    ['explode', /unknown fault item "explode"/],
    ['stall=3', /stall_after=N/],
    ['retry_after_ms=100', /names no fault/],
    ['none;times=2', /times goes with a fault/],
    ['429;times=0', /between 1 and/],
  ])('rejects %j with a readable reason', (spec, reason) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(reason);
  });
});

describe('faultLabel', () => {
  it('gives bounded metric labels', () => {
    expect(faultLabel({ kind: 'status', status: 429 })).toBe('http_429');
    expect(faultLabel({ kind: 'stall', after: 3 })).toBe('stall');
  });
});

describe('faultFromRateKey', () => {
  it('maps rate keys to faults', () => {
    expect(faultFromRateKey('503')).toEqual({ kind: 'status', status: 503 });
    expect(faultFromRateKey('cut')).toEqual({ kind: 'cut' });
  });
});
