import { defineConfig } from 'vitest/config';

// End-to-end suite: real Chromium (Debian's) driven by playwright-core against
// the server chosen in e2e/harness.ts. Scenarios share one browser and run in order.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 90_000,
    reporters: ['verbose'],
  },
});
