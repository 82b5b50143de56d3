import { inject, type InjectionKey } from 'vue';
import { createBrowserStore, type BrowserStore } from '../api/browser-store';

/** Provided by the composition root next to the ApiClient, which must use its `tokens`. */
export const browserStoreKey: InjectionKey<BrowserStore> = Symbol('BrowserStore');

/** Without a provided store nothing is ever persisted: consent then only hides the banner. */
export function useBrowserStore(): BrowserStore {
  return inject(browserStoreKey, () => createBrowserStore(undefined), true);
}
