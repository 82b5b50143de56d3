import { getCurrentScope, onScopeDispose, readonly, ref } from 'vue';
import { DEFAULT_MAX_MESSAGE_CHARS, type ApiClient, type PublicConfig } from '../api/client';
import { LANGUAGES } from '../i18n';

/** What the UI assumes when the config cannot be read: no feedback, the gateway's default limit. */
export const FALLBACK_CONFIG: PublicConfig = {
  languages: LANGUAGES,
  feedbackEnabled: false,
  consentMode: undefined,
  maxMessageChars: DEFAULT_MAX_MESSAGE_CHARS,
  privacyUrl: undefined,
};

/** Loads `GET /api/v1/config` once; `loaded` turns true whether it answered or not. */
export function usePublicConfig(client: ApiClient) {
  const config = ref<PublicConfig>(FALLBACK_CONFIG);
  const loaded = ref(false);
  const controller = new AbortController();

  async function load(): Promise<void> {
    try {
      config.value = await client.getConfig(controller.signal);
    } catch {
      // The chat still works with the fallback; a real outage shows up on the first message.
    } finally {
      if (!controller.signal.aborted) loaded.value = true;
    }
  }

  if (getCurrentScope() !== undefined) onScopeDispose(() => controller.abort());
  return { config: readonly(config), loaded: readonly(loaded), load };
}
