// Composition root: the only place that touches browser globals to build dependencies.
import { createApp } from 'vue';
import { createApiClient } from './api/client';
import { createBrowserStore } from './api/browser-store';
import { createParleyI18n, pickLanguage } from './i18n';
import App from './App.vue';
import { apiClientKey } from './composables/useApiClient';
import { browserStoreKey } from './composables/useBrowserStore';
import './style.css';

function browserStorage(): Storage | undefined {
  try {
    return window.localStorage; // throws when the browser blocks site data
  } catch {
    return undefined;
  }
}

// On the standalone page <html lang> is ours and static, so the browser's languages decide;
// the panel then prefers a language the visitor chose earlier (stored only after consent).
const language = pickLanguage(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
document.documentElement.lang = language;

// Nothing is written to storage before consent: the store keeps the token in memory until then.
const store = createBrowserStore(browserStorage());
const client = createApiClient({ language, tokens: store.tokens });

createApp(App).use(createParleyI18n(language)).provide(apiClientKey, client).provide(browserStoreKey, store).mount('#app');
