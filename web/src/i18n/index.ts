// Languages of the UI: English, German and French, with vue-i18n (composition mode).
// Messages live in locales/<lang>/<namespace>.json, one namespace per part of the UI
// (chat, errors, widget, message...), so each part owns its file; every namespace of every
// language is merged into one message tree here. i18n.test.ts fails the build when one
// language misses a key another has.
import { createI18n } from 'vue-i18n';

export const LANGUAGES = ['en', 'de', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', de: 'Deutsch', fr: 'Français' };

type Tree = { [key: string]: string | Tree };

const files = import.meta.glob<Tree>('./locales/*/*.json', { eager: true, import: 'default' });

/** `{ en: { chat: {...}, errors: {...} }, de: ... }` from the locale files. */
export function loadMessages(): Record<Language, Tree> {
  const messages = { en: {}, de: {}, fr: {} } as Record<Language, Tree>;
  for (const [path, tree] of Object.entries(files)) {
    const match = /\.\/locales\/(\w+)\/([\w-]+)\.json$/.exec(path);
    if (!match) continue;
    const [, lang, namespace] = match as unknown as [string, Language, string];
    if (!(LANGUAGES as readonly string[]).includes(lang)) throw new Error(`Unknown language folder: ${path}`);
    messages[lang][namespace] = tree;
  }
  return messages;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** en by default; the first of `preferred` (BCP 47 tags, e.g. "de-CH") that Parley speaks otherwise. */
export function pickLanguage(preferred: readonly (string | null | undefined)[]): Language {
  for (const tag of preferred) {
    const primary = tag?.toLowerCase().split('-')[0];
    if (isLanguage(primary)) return primary;
  }
  return 'en';
}

export function createParleyI18n(language: Language) {
  return createI18n({
    legacy: false,
    locale: language,
    fallbackLocale: 'en',
    messages: loadMessages(),
    // A missing key is a bug the completeness test catches; no console noise in production.
    missingWarn: false,
    fallbackWarn: false,
  });
}
