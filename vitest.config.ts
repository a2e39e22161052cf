import { defineConfig } from 'vitest/config';

// The project's own tests. The conformance suites under suites/ are run by the CLI against a target,
// and by tests here against the simulator and the deliberately broken targets.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
