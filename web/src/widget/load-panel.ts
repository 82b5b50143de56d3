// The panel chunk (panel.ts), fetched at most once per page whichever <parley-chat> asks first.
// A type-only import: the module itself is only ever imported dynamically, below.
import type * as Panel from './panel';

export type PanelModule = typeof Panel;

let pending: Promise<PanelModule> | undefined;

/** The panel module; after a failure (offline, a deploy removed the chunk) the next call tries again. */
export function loadPanel(): Promise<PanelModule> {
  pending ??= import('./panel').catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

const IDLE_TIMEOUT_MS = 3000;

/**
 * Runs `task` once the page has loaded and the browser is idle (at the latest IDLE_TIMEOUT_MS
 * later), so fetching the panel never competes with the host page's own loading.
 */
export function whenIdle(task: () => void): void {
  const schedule = () => {
    if (typeof window.requestIdleCallback === 'function') window.requestIdleCallback(task, { timeout: IDLE_TIMEOUT_MS });
    else window.setTimeout(task, 1);
  };
  if (document.readyState === 'complete') schedule();
  else window.addEventListener('load', schedule, { once: true });
}
