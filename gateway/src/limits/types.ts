/** A request-rate policy: at most `limit` requests per `windowSeconds`, all of them usable at once. */
export interface RatePolicy {
  /** Bounded, config-chosen name (a metric label and a header token): [A-Za-z0-9_.-], at most 64 chars. */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  policy: RatePolicy;
  allowed: boolean;
  /** Requests that would still be admitted right now, after this one. */
  remaining: number;
  /** Seconds until the full quota is available again. */
  resetSeconds: number;
  /** Seconds until a rejected request would be admitted; 0 when allowed. */
  retryAfterSeconds: number;
}

/** A daily (UTC) budget; units are tokens, or micro-dollars for cost. */
export interface BudgetPolicy {
  name: string;
  limit: number;
}

export interface BudgetDecision {
  policy: BudgetPolicy;
  allowed: boolean;
  /** Units left today after this reservation (never negative). */
  remaining: number;
  /**
   * Units counted today after this decision: settled usage plus the reservations held (this
   * one included when allowed). Exceeds the limit when settlements ran over their reservations.
   */
  used: number;
  /** Seconds until the next UTC midnight, when the budget starts afresh. */
  resetSeconds: number;
}

/** Units held against a budget until the real usage is known. */
export interface Reservation {
  readonly amount: number;
  /** Replaces the reserved amount by the actual usage (which may be larger). The first of settle/release wins. */
  settle(actual: number): Promise<void>;
  /** Returns the reserved amount unused. */
  release(): Promise<void>;
}

export interface Lease {
  /** Frees the lease if it is still ours (a lease that expired and was taken over is left alone). */
  release(): Promise<void>;
}

export interface KillSwitchState {
  enabled: boolean;
  reason?: string;
  changed_at?: string;
  changed_by?: string;
}

export interface RateHit {
  policy: RatePolicy;
  subject: string;
}

/** One chat turn's admission: the in-flight slot (if the caller is limited to one) and every budget it reserves against. */
export interface AdmissionRequest {
  lease?: { name: string; subject: string; ttlMs: number } | undefined;
  budgets: { policy: BudgetPolicy; subject: string; amount: number }[];
}

export type Admission =
  | { admitted: false; refusal: 'kill_switch'; killSwitch: KillSwitchState }
  | { admitted: false; refusal: 'lease' }
  | { admitted: false; refusal: 'budget'; refused: BudgetDecision }
  | {
      admitted: true;
      /** One per requested budget, in order. */
      decisions: BudgetDecision[];
      /**
       * Ends the turn in one step: settles budget i with actuals[i] (null: releases them unused)
       * and frees the slot. Only the first call takes effect.
       */
      finish(actuals: number[] | null): Promise<void>;
    };

export interface LimitStore {
  /** Counts one request against the policy for this subject if it is allowed. */
  hit(policy: RatePolicy, subject: string): Promise<RateDecision>;
  /**
   * Several policies in one atomic step (one round trip): the request counts against every
   * one of them only if all allow it; otherwise none is charged. Decisions in input order.
   */
  hitAll(hits: readonly RateHit[]): Promise<RateDecision[]>;
  /** At most one holder per (name, subject); undefined while someone else holds it. */
  acquire(name: string, subject: string, ttlMs: number): Promise<Lease | undefined>;
  /** Reserves `amount` against today's budget if `used + reserved + amount <= limit`. */
  reserve(policy: BudgetPolicy, subject: string, amount: number): Promise<{ decision: BudgetDecision; reservation?: Reservation }>;
  /**
   * Kill switch, slot and budgets in one atomic step: all or nothing (a refused budget
   * leaves no slot or reservation behind). Redis does it in one round trip.
   */
  admit(request: AdmissionRequest): Promise<Admission>;
  /** The current state, read on every call (a change takes effect on all replicas at once). */
  killSwitch(): Promise<KillSwitchState>;
  setKillSwitch(state: KillSwitchState): Promise<void>;
  ping(): Promise<void>;
}
