import { ref, watch, type Ref } from 'vue';
import type { ApiClient } from '../api/client';
import type { BrowserStore } from '../api/browser-store';
import { isLanguage, pickLanguage, type Language } from '../i18n';

export interface LanguageSources {
  /** A `language` prop or attribute set by the host. */
  readonly explicit: string | undefined;
  /** The visitor's earlier choice (only readable after consent). */
  readonly remembered: string | null;
  /** The host page's `<html lang>`. */
  readonly page: string | undefined;
  /** `navigator.languages`. */
  readonly browser: readonly string[];
}

/** The host's explicit choice, then the visitor's remembered one, then the page, then the browser. */
export function detectLanguage(sources: LanguageSources): Language {
  const forced = primaryTag(sources.explicit);
  if (forced !== undefined) return forced;
  if (isLanguage(sources.remembered)) return sources.remembered;
  return pickLanguage([sources.page, ...sources.browser]);
}

/** "de-CH" → "de" when Parley speaks it. */
export function primaryTag(tag: string | null | undefined): Language | undefined {
  const primary = tag?.toLowerCase().split('-')[0];
  return isLanguage(primary) ? primary : undefined;
}

export function browserLanguageSources(): Pick<LanguageSources, 'page' | 'browser'> {
  if (typeof document === 'undefined' || typeof navigator === 'undefined') return { page: undefined, browser: [] };
  const page = document.documentElement.lang;
  return {
    page: page === '' ? undefined : page,
    browser: navigator.languages.length > 0 ? navigator.languages : [navigator.language],
  };
}

/**
 * The UI language: detected once, switchable, remembered (when storage is allowed), and kept
 * in step with vue-i18n's locale and the language the client sends to the backend.
 */
export function useLanguage(options: {
  explicit: () => string | undefined;
  locale: Ref<string>;
  client: ApiClient;
  store: BrowserStore;
}) {
  const { client, store } = options;
  const language = ref<Language>(
    detectLanguage({ explicit: options.explicit(), remembered: store.readPreference('language'), ...browserLanguageSources() }),
  );

  function apply(next: Language): void {
    options.locale.value = next;
    client.setLanguage(next);
  }
  apply(language.value);

  /** A choice made in the switcher: remembered if storage is allowed. */
  function choose(next: Language): void {
    language.value = next;
    store.writePreference('language', next);
  }

  /** Called when consent arrives: remember the language in use. */
  function remember(): void {
    store.writePreference('language', language.value);
  }

  watch(language, apply);
  // The host changing the attribute at runtime switches too (the conversation stays).
  watch(options.explicit, (value) => {
    const next = primaryTag(value);
    if (next !== undefined) language.value = next;
  });

  return { language, choose, remember };
}
