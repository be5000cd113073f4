import { defineConfig } from 'vitest/config';

// One forked worker: native addons (CPU threads, GPU streams) never share a process with another test file, GPU
// tests in test/gpu/ never run side by side, and a 2-core CI machine is not oversubscribed (the CPU addon already
// uses every core).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    // Lets the dispose tests force a collection to check the FinalizationRegistry safety net.
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
