import { z } from 'zod';
import type { KillSwitchState } from './types.js';

/** The stored form of a kill switch state (a Redis hash); changed_at defaults to the time of the change. */
export function killSwitchRecord(state: KillSwitchState, nowMs: number): Record<string, string> {
  const record: Record<string, string> = {
    enabled: state.enabled ? '1' : '0',
    changed_at: state.changed_at ?? new Date(nowMs).toISOString(),
  };
  if (state.reason !== undefined) record['reason'] = state.reason;
  if (state.changed_by !== undefined) record['changed_by'] = state.changed_by;
  return record;
}

const recordSchema = z.object({
  enabled: z.string().optional(),
  reason: z.string().optional(),
  changed_at: z.string().optional(),
  changed_by: z.string().optional(),
});

/** Reads a stored record back; on is '1' (or 'true', as an operator might type it in redis-cli). */
export function killSwitchFromRecord(record: Record<string, string>): KillSwitchState {
  const raw = recordSchema.parse(record);
  const state: KillSwitchState = { enabled: raw.enabled === '1' || raw.enabled?.toLowerCase() === 'true' };
  if (raw.reason !== undefined) state.reason = raw.reason;
  if (raw.changed_at !== undefined) state.changed_at = raw.changed_at;
  if (raw.changed_by !== undefined) state.changed_by = raw.changed_by;
  return state;
}
