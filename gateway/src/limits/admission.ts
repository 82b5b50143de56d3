import { firstCallOnly } from './once.js';
import type { Admission, AdmissionRequest, BudgetDecision, LimitStore, Reservation } from './types.js';

/**
 * Admission from the store's single operations, for stores where each call is cheap (the
 * in-memory twin): kill switch, then the slot, then each budget, undoing what was taken
 * when something refuses. The Redis store does the same in one Lua script.
 */
const NO_LEASE = { release: async () => {} };

export async function admitStepByStep(store: Omit<LimitStore, 'admit'>, request: AdmissionRequest): Promise<Admission> {
  const killSwitch = await store.killSwitch();
  if (killSwitch.enabled) return { admitted: false, refusal: 'kill_switch', killSwitch };
  const lease = request.lease ? await store.acquire(request.lease.name, request.lease.subject, request.lease.ttlMs) : NO_LEASE;
  if (!lease) return { admitted: false, refusal: 'lease' };
  const reservations: Reservation[] = [];
  const decisions: BudgetDecision[] = [];
  for (const budget of request.budgets) {
    const { decision, reservation } = await store.reserve(budget.policy, budget.subject, budget.amount);
    if (!decision.allowed || !reservation) {
      await Promise.all([...reservations.map((r) => r.release()), lease.release()]);
      return { admitted: false, refusal: 'budget', refused: decision };
    }
    reservations.push(reservation);
    decisions.push(decision);
  }
  return {
    admitted: true,
    decisions,
    finish: firstCallOnly(async (actuals: number[] | null) => {
      await Promise.all([
        ...reservations.map((r, i) => (actuals === null ? r.release() : r.settle(actuals[i] ?? r.amount))),
        lease.release(),
      ]);
    }),
  };
}
