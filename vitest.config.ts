import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/lab/global-setup.ts', 'test/lab/heavy-servers.ts'],
    setupFiles: ['test/lab/isolated-locks.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { NODE_NO_WARNINGS: '1' },
  },
});
