// Everything Parley keeps in the browser goes through here, and nothing is written before
// consent: until then the session token lives in memory only (createMemoryTokenStore), and
// on consent it moves to Web Storage with the token it already has.

import { createMemoryTokenStore, createStorageTokenStore, sessionStorageKey, type TokenStore } from './client';

const consentKey = 'parley.consent';
const languageKey = 'parley.language';
const ALL_KEYS = [consentKey, languageKey, sessionStorageKey];

export type StorageConsent = 'granted' | 'not_required';

export interface BrowserStore {
  /** The token store to hand to createApiClient; it follows `persist` and `forget`. */
  readonly tokens: TokenStore;
  /** Why storing is allowed: the visitor agreed, or the operator set consent mode `never`; null: memory only. */
  readonly consent: StorageConsent | null;
  /** From now on the token and preferences are stored, starting with the current token. */
  persist(reason: StorageConsent): void;
  /** Consent refused or data deleted: removes everything Parley wrote and keeps the token in memory only. */
  forget(): void;
  readPreference(name: 'language'): string | null;
  /** Written only when storing is allowed; otherwise a no-op. */
  writePreference(name: 'language', value: string): void;
}

export function createBrowserStore(storage: Storage | undefined): BrowserStore {
  const read = (key: string): string | null => {
    try {
      return storage?.getItem(key) ?? null;
    } catch {
      return null; // storage blocked: behave as if nothing was ever stored
    }
  };
  const write = (key: string, value: string): void => {
    try {
      storage?.setItem(key, value);
    } catch {
      // quota or blocked storage: the in-memory state still works for this page
    }
  };

  const storedConsent = read(consentKey);
  let consent: StorageConsent | null = storedConsent === 'granted' || storedConsent === 'not_required' ? storedConsent : null;
  const isPersistent = () => consent !== null;
  const memory = createMemoryTokenStore();
  const stored = createStorageTokenStore(storage);
  const active = (): TokenStore => (isPersistent() ? stored : memory);

  const tokens: TokenStore = {
    get: () => active().get(),
    set: (token) => active().set(token),
    clear: () => {
      memory.clear();
      if (isPersistent()) stored.clear();
    },
  };

  return {
    tokens,
    get consent() {
      return consent;
    },
    persist(reason) {
      if (consent === reason) return;
      const current = active().get();
      const wasPersistent = isPersistent();
      consent = reason;
      write(consentKey, reason);
      if (!wasPersistent && current !== null) stored.set(current);
    },
    forget() {
      const current = active().get();
      consent = null;
      for (const key of ALL_KEYS) {
        if (read(key) === null) continue; // never touch storage that holds nothing of ours
        try {
          storage?.removeItem(key);
        } catch {
          // nothing to remove where storage is blocked
        }
      }
      if (current !== null) memory.set(current);
      else memory.clear();
    },
    readPreference() {
      return isPersistent() ? read(languageKey) : null;
    },
    writePreference(_name, value) {
      if (isPersistent()) write(languageKey, value);
    },
  };
}
