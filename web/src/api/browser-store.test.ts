import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBrowserStore } from './browser-store';
import { sessionStorageKey, toPublicConfig } from './client';

beforeEach(() => window.localStorage.clear());
afterEach(() => vi.restoreAllMocks());

describe('createBrowserStore', () => {
  it('keeps the token in memory and writes nothing until persist, which keeps the current token', () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    const store = createBrowserStore(window.localStorage);
    store.tokens.set('tok-1');
    store.writePreference('language', 'de');
    expect(setItem).not.toHaveBeenCalled();
    expect(store.readPreference('language')).toBeNull();

    store.persist('granted');
    expect(store.tokens.get()).toBe('tok-1');
    expect(window.localStorage.getItem(sessionStorageKey)).toBe('tok-1');
    expect(window.localStorage.getItem('parley.consent')).toBe('granted');
    store.writePreference('language', 'de');
    expect(createBrowserStore(window.localStorage).readPreference('language')).toBe('de');
  });

  it('a later page load with consent reads the stored token', () => {
    window.localStorage.setItem('parley.consent', 'granted');
    window.localStorage.setItem(sessionStorageKey, 'kept');
    const store = createBrowserStore(window.localStorage);
    expect(store.consent).toBe('granted');
    expect(store.tokens.get()).toBe('kept');
  });

  it('forget removes everything it wrote but keeps the token for this page in memory', () => {
    const store = createBrowserStore(window.localStorage);
    store.tokens.set('tok-1');
    store.persist('granted');
    store.writePreference('language', 'fr');

    store.forget();
    expect(window.localStorage.length).toBe(0);
    expect(store.consent).toBeNull();
    expect(store.tokens.get()).toBe('tok-1');
  });

  it('forget touches no storage when nothing was stored', () => {
    const removeItem = vi.spyOn(Storage.prototype, 'removeItem');
    createBrowserStore(window.localStorage).forget();
    expect(removeItem).not.toHaveBeenCalled();
  });

  it('works without storage at all (blocked site data): memory only', () => {
    const store = createBrowserStore(undefined);
    store.persist('granted');
    store.tokens.set('t');
    expect(store.tokens.get()).toBe('t');
  });
});

describe('toPublicConfig', () => {
  it('maps the gateway config; an unknown consent mode is left to the panel\'s default', () => {
    const config = toPublicConfig({
      languages: ['en', 'de'],
      feedback_enabled: true,
      consent_mode: 'always',
      limits: { max_message_chars: 2000, session_idle_timeout_seconds: 1800 },
    });
    expect(config).toEqual({ languages: ['en', 'de'], feedbackEnabled: true, consentMode: 'always', maxMessageChars: 2000, privacyUrl: undefined });
    expect(toPublicConfig({ consent_mode: 'never' }).consentMode).toBe('never');
    expect(toPublicConfig({ consent_mode: 'auto' }).consentMode).toBe('auto');
    expect(toPublicConfig({ consent_mode: 'opt_in' }).consentMode).toBeUndefined();
  });

  it('falls back to every language, no feedback, 4000 characters, and only http(s) privacy links', () => {
    expect(toPublicConfig(null)).toEqual({ languages: ['en', 'de', 'fr'], feedbackEnabled: false, consentMode: undefined, maxMessageChars: 4000, privacyUrl: undefined });
    expect(toPublicConfig({ privacy_url: 'javascript:alert(1)' }).privacyUrl).toBeUndefined();
    expect(toPublicConfig({ privacy_url: '/privacy' }).privacyUrl).toBe('/privacy');
  });
});
