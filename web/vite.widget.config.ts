import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { i18nFlags } from './vite.config.ts';

// The embeddable widget as one classic script, dist/widget.js: no chunks, no CSS file.
// Every SFC is compiled in custom-element mode, so each component's styles travel as
// strings and Vue injects them into the <parley-chat> shadow root, nested ones included.
// Runs after the page build (vite.config.ts), which empties dist first.
// Budget: 80 KB gzipped (test/e2e/web-widget-size.test.ts).
export default defineConfig({
  plugins: [vue({ features: { customElement: true, optionsAPI: false } })],
  define: {
    ...i18nFlags,
    // Library mode leaves process.env alone; Vue's production branches need it replaced.
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  resolve: {
    // markdown-it's entity decoding through the browser instead of a 16 KB table (see the file).
    alias: [{ find: /^entities$/, replacement: fileURLToPath(new URL('src/widget/dom-entities.ts', import.meta.url)) }],
  },
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    lib: {
      entry: 'src/widget/main.ts',
      name: 'ParleyWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});
