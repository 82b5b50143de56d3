/** A paced run stops when this many seconds of jobs wait for a free connection. */
export const MAX_BACKLOG_SECONDS = 1;

/**
 * Open-loop pacing (the scheduler `pacedLoad` in load.mjs describes, for any kind of job):
 * job i is due at start + i/rate whatever happened to the previous ones, and starts on an
 * idle slot (a connection). When every slot is busy it waits, and `fire` gets its due time as
 * `t0`, so its latency counts from when it was due (no coordinated omission); `late` counts
 * how often that happened among measured jobs. When a whole second's worth of jobs is waiting
 * the target cannot sustain the rate: the run stops early and says when (`saturatedAfterMs`,
 * from the start of the warm-up).
 *
 * `fire(slot, { t0, measured, release })` starts one job; it must call `release()` exactly once
 * when the job is over, which hands the slot to the next waiting job. Resolves when the last
 * job has released its slot.
 */
export function runPaced({ rate, slots, warmupMs, durationMs, fire }) {
  const idle = [...slots];
  const waiting = [];
  const interval = 1000 / rate;
  const start = performance.now() + 10;
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  const result = { saturatedAfterMs: undefined, late: 0, started: 0 };
  let due = start;
  let inFlight = 0;
  let scheduling = true;

  return new Promise((resolve) => {
    const begin = (slot, dueAt, late) => {
      inFlight++;
      result.started++;
      let released = false;
      fire(slot, {
        t0: late ? dueAt : performance.now(),
        measured: dueAt >= measureFrom,
        release() {
          if (released) return;
          released = true;
          inFlight--;
          const next = waiting.shift();
          if (next !== undefined) begin(slot, next, true);
          else idle.push(slot);
          if (!scheduling && inFlight === 0) resolve(result);
        },
      });
    };

    const tick = () => {
      const now = performance.now();
      if (waiting.length > rate * MAX_BACKLOG_SECONDS) {
        // The target cannot keep up: a longer run would only measure a growing queue.
        result.saturatedAfterMs = now - start;
        waiting.length = 0;
        due = end;
      }
      while (due <= now && due < end) {
        const slot = idle.shift();
        if (slot) begin(slot, due, false);
        else {
          waiting.push(due);
          if (due >= measureFrom) result.late++;
        }
        due += interval;
      }
      if (due < end) setTimeout(tick, Math.max(0, due - performance.now()));
      else {
        scheduling = false;
        if (inFlight === 0) resolve(result);
      }
    };
    setTimeout(tick, 10);
  });
}
