import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'detectors/**/*.test.ts', 'datasets/**/*.test.ts', 'service/**/*.test.ts', 'bench/**/*.test.ts', 'notebooks/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
