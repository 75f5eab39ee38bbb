import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Serial tests own real pseudo-terminals and child processes; two workers fit the 2-core machines.
    maxWorkers: 2,
  },
})
