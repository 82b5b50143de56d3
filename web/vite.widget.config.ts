import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';
import { i18nFlags } from './vite.config.ts';

// The embeddable widget as an ES module entry, dist/widget.js, plus chunks in dist/widget/:
//   widget.js                 what the closed widget needs: Vue, vue-i18n's runtime, the launcher
//   widget/panel-[hash].js    the chat panel (src/widget/panel.ts): markdown-it, DOMPurify, API client, messages
//   widget/highlight-[hash].js  highlight.js, imported by the panel's renderer
// Library mode, so chunks are imported with plain relative `import()`s the browser resolves
// against widget.js's own URL (another site's page loads them from the gateway too), without
// Vite's preload helper (which would add <link>s to the host's <head> and fire the host's
// vite:preloadError handlers). Every SFC is compiled in custom-element mode, so each
// component's styles travel as strings and Vue injects them into the <parley-chat> shadow root.
// Runs after the page build (vite.config.ts), which empties dist first.
// Budget: the entry at most 80 KB gzipped (test/e2e/web-widget-size.test.ts).

/**
 * Compiles the locale files' messages to vue-i18n's message AST at build time, so the widget
 * ships vue-i18n without its message compiler (__INTLIFY_DROP_MESSAGE_COMPILER__). This is
 * what @intlify/unplugin-vue-i18n does; the compiler used is the exact one vue-i18n itself
 * depends on, found through it rather than declared again.
 */
function precompileMessages(): Plugin {
  const fromVueI18n = createRequire(createRequire(import.meta.url).resolve('vue-i18n/package.json'));
  const fromCoreBase = createRequire(fromVueI18n.resolve('@intlify/core-base/package.json'));
  const compilerPath = fromCoreBase.resolve('@intlify/message-compiler');
  type Compile = (source: string, options: Record<string, unknown>) => { ast: unknown };
  let baseCompile: Compile | undefined;

  const compileTree = (tree: unknown, path: string): unknown => {
    if (typeof tree === 'string') {
      const { ast } = baseCompile!(tree, {
        jit: true,
        minify: true,
        location: false,
        onError: (error: Error) => {
          throw new Error(`Invalid message at ${path}: ${error.message}`);
        },
      });
      return ast;
    }
    if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) throw new Error(`Unexpected message at ${path}`);
    return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, compileTree(value, `${path}.${key}`)]));
  };

  return {
    name: 'parley:precompile-messages',
    enforce: 'pre',
    async buildStart() {
      ({ baseCompile } = (await import(pathToFileURL(compilerPath).href)) as { baseCompile: Compile });
    },
    transform(code, id) {
      if (!/\/src\/i18n\/locales\/\w+\/[\w-]+\.json$/.test(id)) return null;
      // Still JSON, now of ASTs: Vite's JSON plugin turns it into a module as before.
      return { code: JSON.stringify(compileTree(JSON.parse(code), id.replace(/^.*\/locales\//, ''))), map: null };
    },
  };
}

export default defineConfig({
  plugins: [precompileMessages(), vue({ features: { customElement: true, optionsAPI: false } })],
  define: {
    ...i18nFlags,
    // No <i18n-t>, <i18n-n>, <i18n-d> or v-t in the UI: leave them out.
    __VUE_I18N_FULL_INSTALL__: 'false',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
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
      entry: fileURLToPath(new URL('src/widget/main.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'widget.js',
    },
    rolldownOptions: {
      // Nothing imports the entry's exports; let the bundler drop them.
      preserveEntrySignatures: false,
      output: {
        // Library mode keeps whitespace in ES output for other bundlers; this file goes to browsers.
        minify: true,
        chunkFileNames: 'widget/[name]-[hash].js',
      },
    },
  },
});
