import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The gateway serves the built UI in production; in development Vite serves it and
// forwards API calls, so the browser sees one origin either way.
const gateway = 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: 'dist',
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: gateway },
      '/v1': { target: gateway },
    },
  },
});
