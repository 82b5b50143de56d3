// The embeddable widget: `<script type="module" src="https://parley.example/widget.js"></script>`
// and `<parley-chat api-base="https://parley.example" lang="en" title="Ask us"></parley-chat>`.
// Built on its own (vite.widget.config.ts) into the entry dist/widget.js, which holds what the
// closed widget needs (Vue, vue-i18n's runtime, the launcher and its messages), and chunks
// under dist/widget/ that the entry imports relative to its own URL: the panel (panel.ts),
// fetched while the page idles or on first open, and highlight.js, fetched for code blocks.
import { defineCustomElement } from 'vue';
import { createI18n, I18nInjectionKey } from 'vue-i18n';
import { launcherMessages } from './messages';
import ParleyWidget from './ParleyWidget.ce.vue';

export const TAG = 'parley-chat';

export const ParleyChatElement = defineCustomElement(ParleyWidget, {
  // Each <parley-chat> is its own app with its own i18n; the element sets the language it speaks
  // and adds the panel's messages when the panel loads.
  configureApp(app) {
    const i18n = createI18n({
      legacy: false,
      locale: 'en',
      fallbackLocale: 'en',
      messages: launcherMessages,
      // A missing key is a bug the completeness test catches; no console noise in production.
      missingWarn: false,
      fallbackWarn: false,
    });
    app.use(i18n);
    // useI18n in a custom element's root component looks the instance up by this key, not the app's.
    app.provide(I18nInjectionKey, i18n);
  },
});

// The chunks import Vue and the shared code back from this module as `widget.js` next to them.
// Loaded under any other URL (a `?v=2` cache buster), this copy is not the module they get,
// and the panel would run on a second Vue: then the copy at that URL defines the element.
const canonical = new URL(/* @vite-ignore */ 'widget.js', import.meta.url).href;
if (canonical !== import.meta.url) {
  void import(/* @vite-ignore */ canonical);
} else if (customElements.get(TAG) === undefined) {
  // A page that loads the script twice keeps the first definition instead of throwing.
  customElements.define(TAG, ParleyChatElement);
}

declare global {
  interface HTMLElementTagNameMap {
    [TAG]: InstanceType<typeof ParleyChatElement>;
  }
}
