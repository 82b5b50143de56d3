/**
 * Wraps `fn` so that only its first call acts; later calls resolve at once. Leases,
 * reservations and admissions end exactly once, whichever of settle, release or finish comes first.
 */
export function firstCallOnly<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  let called = false;
  return async (...args) => {
    if (called) return;
    called = true;
    await fn(...args);
  };
}
