import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `npm run dev -w @instant-logs/dashboard` serves the page with hot reload and sends API calls
// (and live tail) to a pipeline on :8080 (`make dev`); `vite build` writes dist/, which the
// query service serves at /.
export default defineConfig({
  plugins: [vue()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: { '/api': { target: process.env.API_TARGET ?? 'http://127.0.0.1:8080', ws: true } },
  },
});
