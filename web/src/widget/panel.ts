// The lazily loaded part of the widget (its own chunk, see vite.widget.config.ts): the chat
// panel with its markdown renderer, sanitizer and API client, and the messages of every
// namespace the launcher does not need. Importing it has no side effects: no request to the
// API happens before WidgetPanel mounts, so the widget may prefetch it while the page idles.
import { messagesFrom, type MessageTree } from './messages';

export { createBrowserStore } from '../api/browser-store';
export { default as WidgetPanel } from './WidgetPanel.vue';

export const panelMessages = messagesFrom(
  import.meta.glob<MessageTree>(['../i18n/locales/*/*.json', '!../i18n/locales/*/{app,widget}.json'], { eager: true, import: 'default' }),
);
