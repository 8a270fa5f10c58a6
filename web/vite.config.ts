import { defineConfig } from 'vitest/config';

// Vite 8 compiles TSX with oxc (automatic JSX runtime from tsconfig), so no
// framework plugin is needed. Built files go to dist/ with content-hashed names
// under assets/, which `headway serve` caches for a year; index.html is never cached.
export default defineConfig({
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `npm run dev` against a running `headway serve`: $HEADWAY_API, else its default address.
    proxy: {
      '/api': { target: process.env.HEADWAY_API ?? 'http://127.0.0.1:8000', changeOrigin: false },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
