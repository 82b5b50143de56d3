// The embeddable widget: `<script src="https://parley.example/widget.js" defer></script>` and
// `<parley-chat api-base="https://parley.example" lang="en" title="Ask us"></parley-chat>`.
// Built on its own (vite.widget.config.ts) into one self-contained dist/widget.js.
import { defineCustomElement } from 'vue';
import { I18nInjectionKey } from 'vue-i18n';
import { createParleyI18n } from '../i18n';
import ParleyWidget from './ParleyWidget.ce.vue';

export const TAG = 'parley-chat';

export const ParleyChatElement = defineCustomElement(ParleyWidget, {
  // Each <parley-chat> is its own app with its own i18n; the element sets the language it speaks.
  configureApp(app) {
    const i18n = createParleyI18n('en');
    app.use(i18n);
    // useI18n in a custom element's root component looks the instance up by this key, not the app's.
    app.provide(I18nInjectionKey, i18n);
  },
});

// A page that loads the script twice keeps the first definition instead of throwing.
if (customElements.get(TAG) === undefined) customElements.define(TAG, ParleyChatElement);

declare global {
  interface HTMLElementTagNameMap {
    [TAG]: InstanceType<typeof ParleyChatElement>;
  }
}
