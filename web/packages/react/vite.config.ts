import { defineConfig } from 'vitest/config';

// The package is built in library mode: one ES module per entry (index, client)
// with shared chunks, React left to the app. tsc emits the .d.ts files next to them
// (tsconfig.build.json). The "headway-source" export condition lets the web app
// in this repository use src/ directly, so it needs no build of the package first.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    minify: false,
    lib: {
      entry: { index: 'src/index.ts', client: 'src/client.ts' },
      formats: ['es'],
    },
    rolldownOptions: {
      external: ['react', 'react/jsx-runtime'],
    },
  },
  test: {
    name: 'package',
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
