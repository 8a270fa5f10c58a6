import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The app imports @headway/react (packages/react, an npm workspace) from its
// sources through the package's "headway-source" export condition: one copy of
// the code, and no build of the package needed before the app's.
const conditions = ['headway-source'];

// Vite 8 compiles TSX with oxc (automatic JSX runtime from tsconfig), so no
// framework plugin is needed. Built files go to dist/ with content-hashed names
// under assets/, which `headway serve` caches for a year; index.html is never cached.
export default defineConfig({
  resolve: { conditions: [...conditions, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [...conditions, ...defaultServerConditions] } },
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
    // `npm test` runs the app's tests and the package's (packages/react/vite.config.ts).
    projects: [
      {
        extends: true,
        test: {
          name: 'app',
          environment: 'happy-dom',
          include: ['src/**/*.test.{ts,tsx}'],
          setupFiles: ['packages/react/src/test/setup.ts'],
          restoreMocks: true,
          unstubGlobals: true,
        },
      },
      'packages/react',
    ],
  },
});
