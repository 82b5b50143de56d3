import { computed, ref, watch, type Ref } from 'vue';
import type { ConsentMode } from '../api/client';
import type { BrowserStore } from '../api/browser-store';

/** Globals that common consent management platforms define on the host page. */
const CMP_GLOBALS = [
  '__tcfapi', // IAB TCF v2 (any TCF CMP)
  'Cookiebot',
  'OneTrust',
  'OptanonWrapper', // OneTrust
  'UC_UI', // Usercentrics
  'klaro',
  'CookieConsent', // orestbida/cookieconsent (and Cookiebot)
  'Didomi',
] as const;

/** True when the host page runs its own consent manager (then that one asks, not Parley). */
export function hasHostConsentManager(win: object | undefined = typeof window === 'undefined' ? undefined : window): boolean {
  if (win === undefined) return false;
  const globals = win as Record<string, unknown>;
  return CMP_GLOBALS.some((name) => globals[name] !== undefined && globals[name] !== null);
}

export type ConsentDecision = 'granted' | 'denied' | null;

/**
 * The consent banner and what it unlocks. Modes: `always` asks, `never` does not ask (the
 * operator decided storage needs no consent), `auto` asks unless the host page has a CMP.
 * `mode` stays undefined until the configuration is known, and nothing is decided before.
 */
export function useConsent(options: { mode: Readonly<Ref<ConsentMode | undefined>>; store: BrowserStore; detectHost?: () => boolean }) {
  const { store } = options;
  const detectHost = options.detectHost ?? (() => hasHostConsentManager());
  const decision = ref<ConsentDecision>(store.consent === 'granted' ? 'granted' : null);
  const hostManaged = ref(false);

  const showBanner = computed(() => {
    const mode = options.mode.value;
    if (mode === undefined || decision.value !== null) return false;
    return mode === 'always' || (mode === 'auto' && !hostManaged.value);
  });

  watch(
    options.mode,
    (mode) => {
      if (mode === undefined) return;
      hostManaged.value = mode === 'auto' && detectHost();
      if (mode === 'never') {
        store.persist('not_required');
      } else if (store.consent === 'not_required') {
        // The operator now wants consent: what was stored without asking goes back to memory.
        store.forget();
      }
    },
    { immediate: true },
  );

  function accept(): void {
    store.persist('granted');
    decision.value = 'granted';
  }

  function decline(): void {
    store.forget();
    decision.value = 'denied';
  }

  /** After "Delete my data": nothing is stored any more, so ask again where asking applies. */
  function reset(): void {
    store.forget();
    decision.value = null;
    if (options.mode.value === 'never') store.persist('not_required');
  }

  return { showBanner, decision, accept, decline, reset };
}
