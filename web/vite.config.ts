import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The gateway serves the built UI in production; in development Vite serves it and
// forwards API calls, so the browser sees one origin either way.
const gateway = 'http://127.0.0.1:8080';

/** vue-i18n's compile-time flags: composition API only, no devtools hooks in production. */
export const i18nFlags = {
  __VUE_I18N_FULL_INSTALL__: 'true',
  __VUE_I18N_LEGACY_API__: 'false',
  __INTLIFY_PROD_DEVTOOLS__: 'false',
  __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
};

// Two pages: the standalone chat (index.html) and the demo host page that embeds the
// widget (demo/index.html, which loads /widget.js from vite.widget.config.ts's build).
export default defineConfig({
  plugins: [vue()],
  define: i18nFlags,
  build: {
    outDir: 'dist',
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        demo: fileURLToPath(new URL('demo/index.html', import.meta.url)),
      },
    },
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: gateway },
      '/v1': { target: gateway },
      // The demo page's widget (entry and chunks) comes from the gateway's build (run `npm run build` once).
      '/widget.js': { target: gateway },
      '/widget/': { target: gateway },
    },
  },
});
