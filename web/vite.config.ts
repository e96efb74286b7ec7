/**
 * Builds the web app (Flow Builder and the other pages) into web/dist, which the server serves
 * (src/api/routes/web.ts). Run from the repository root: `vite build --config web/vite.config.ts`.
 * `vite --config web/vite.config.ts` serves it for development with /api proxied to a running
 * `callflow serve` (CALLFLOW_API, default http://127.0.0.1:8080).
 */

import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  // The browser bundle imports the pure cores (src/sms, src/dlt) so live checks run the server's logic.
  server: {
    fs: { allow: [repoRoot] },
    proxy: { '/api': process.env.CALLFLOW_API ?? 'http://127.0.0.1:8080' },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
