import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Dawn is a native addon: run each test file in its own process, not a worker thread.
    pool: 'forks',
    // SwiftShader on a 2-core CI machine is slow; individual GPU tests are sized to stay well below this.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
