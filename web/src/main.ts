// Composition root: the only place that touches browser globals to build dependencies.
import { createApp } from 'vue';
import { createApiClient, createStorageTokenStore } from './api/client';
import { pickLanguage } from './i18n';
import App from './App.vue';
import { apiClientKey } from './composables/useApiClient';
import './style.css';

function browserStorage(): Storage | undefined {
  try {
    return window.localStorage; // throws when the browser blocks site data
  } catch {
    return undefined;
  }
}

const client = createApiClient({
  language: pickLanguage(navigator.languages.length > 0 ? navigator.languages : [navigator.language]),
  tokens: createStorageTokenStore(browserStorage()),
});

createApp(App).provide(apiClientKey, client).mount('#app');
