/**
 * Fault specs, one syntax everywhere (x-llm-sim-fault header, [[sim:fault=...]] directive,
 * fail_next in the admin API): `;`-separated items, e.g. `429;retry_after_ms=1500`,
 * `status=503`, `timeout`, `reset`, `stall_after=3`, `cut_after=2`, `none`, plus `times=N`.
 */

export type Fault =
  | { kind: 'none' }
  | {
      kind: 'status';
      status: number;
      /** Sent as `retry-after-ms`, and rounded up to seconds as `retry-after` unless that is given. */
      retryAfterMs?: number;
      /** Sent as `retry-after` (seconds). */
      retryAfterSeconds?: number;
      times?: number;
    }
  | { kind: 'timeout'; times?: number }
  | { kind: 'reset'; times?: number }
  | { kind: 'stall'; after?: number; times?: number }
  | { kind: 'cut'; after?: number; times?: number };

/** A fault with its defaults filled in, ready to inject. */
export type ResolvedFault =
  | { kind: 'status'; status: number; retryAfterMs?: number; retryAfterSeconds?: number }
  | { kind: 'timeout' }
  | { kind: 'reset' }
  | { kind: 'stall'; after: number }
  | { kind: 'cut'; after: number };

/** Thrown for a spec that does not parse; the message names the problem, never echoes much input. */
export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const MAX_INT = 3_600_000;

function integer(name: string, value: string | undefined, min: number, max = MAX_INT): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new FaultSpecError(`${name} needs a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new FaultSpecError(`${name} must be between ${min} and ${max}`);
  return n;
}

export function parseFaultSpec(spec: string): Fault {
  let kind: Fault['kind'] | undefined;
  let status: number | undefined;
  let after: number | undefined;
  let retryAfterMs: number | undefined;
  let retryAfterSeconds: number | undefined;
  let times: number | undefined;
  const setKind = (next: Fault['kind']): void => {
    if (kind !== undefined && kind !== next) throw new FaultSpecError('a fault spec names one fault');
    kind = next;
  };

  const items = spec.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new FaultSpecError('empty fault spec');
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = (eq === -1 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? undefined : item.slice(eq + 1).trim();
    if (/^\d+$/.test(key) && value === undefined) {
      setKind('status');
      status = integer('status', key, 400, 599);
      continue;
    }
    switch (key) {
      case 'none':
      case 'timeout':
      case 'reset':
        if (value !== undefined) throw new FaultSpecError(`${key} takes no value`);
        setKind(key);
        break;
      case 'status':
        setKind('status');
        status = integer('status', value, 400, 599);
        break;
      case 'stall':
      case 'cut':
        if (value !== undefined) throw new FaultSpecError(`use ${key}_after=N to say after how many chunks`);
        setKind(key);
        break;
      case 'stall_after':
      case 'cut_after':
        setKind(key === 'stall_after' ? 'stall' : 'cut');
        after = integer(key, value, 0, 100_000);
        break;
      case 'retry_after_ms':
        retryAfterMs = integer(key, value, 0);
        break;
      case 'retry_after':
        retryAfterSeconds = integer(key, value, 0, 86_400);
        break;
      case 'times':
        times = integer(key, value, 1, 1_000_000);
        break;
      default:
        throw new FaultSpecError(`unknown fault item "${key.slice(0, 32)}"`);
    }
  }
  if (kind === undefined) throw new FaultSpecError('the spec names no fault (e.g. 429, timeout, reset, stall_after=3)');
  if (kind !== 'status' && (retryAfterMs !== undefined || retryAfterSeconds !== undefined)) {
    throw new FaultSpecError('retry_after and retry_after_ms go with an HTTP status');
  }
  const repeat = times === undefined ? {} : { times };
  switch (kind) {
    case 'none':
      if (times !== undefined) throw new FaultSpecError('times goes with a fault');
      return { kind };
    case 'status':
      return {
        kind,
        status: status as number,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        ...repeat,
      };
    case 'stall':
    case 'cut':
      return { kind, ...(after === undefined ? {} : { after }), ...repeat };
    default:
      return { kind, ...repeat };
  }
}

/** The bounded metric label of a fault: `http_429`, `timeout`, `reset`, `stall`, `cut`. */
export function faultLabel(fault: ResolvedFault): string {
  return fault.kind === 'status' ? `http_${fault.status}` : fault.kind;
}

/** Turns a fault_rates key (`429`, `timeout`...) into a fault; defaults come from settings. */
export function faultFromRateKey(key: string): Fault {
  return /^\d+$/.test(key) ? { kind: 'status', status: Number(key) } : parseFaultSpec(key);
}
