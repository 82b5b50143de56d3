// The widget's messages come in two parts: the launcher's namespaces (app, widget) travel in
// the entry script, every other namespace with the lazily loaded panel (panel.ts). Both are
// built from the same locale files as the standalone page's (../i18n/index.ts).
import { LANGUAGES, type Language } from '../i18n';

export type MessageTree = { [key: string]: string | MessageTree };

/** `{ en: { widget: {...} }, de: ..., fr: ... }` from `import.meta.glob` results keyed by `.../locales/<lang>/<namespace>.json`. */
export function messagesFrom(files: Record<string, MessageTree>): Record<Language, MessageTree> {
  const messages = Object.fromEntries(LANGUAGES.map((lang) => [lang, {}])) as Record<Language, MessageTree>;
  for (const [path, tree] of Object.entries(files)) {
    const match = /\/locales\/(\w+)\/([\w-]+)\.json$/.exec(path);
    const lang = match?.[1] as Language | undefined;
    if (match === null || lang === undefined || !(lang in messages)) throw new Error(`Unexpected locale file: ${path}`);
    messages[lang][match[2] as string] = tree;
  }
  return messages;
}

/** What the closed widget says: its launcher's name and the dialog's default label. */
export const launcherMessages = messagesFrom(
  import.meta.glob<MessageTree>('../i18n/locales/*/{app,widget}.json', { eager: true, import: 'default' }),
);
