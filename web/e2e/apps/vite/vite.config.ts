import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The page and headway serve on one origin: /api is forwarded to the server.
const api = { target: process.env.HEADWAY_URL ?? 'http://127.0.0.1:8000', ws: true };

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': api } },
  preview: { proxy: { '/api': api } },
});
