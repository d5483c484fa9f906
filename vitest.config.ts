import { defineConfig } from 'vitest/config';

/** Pure code with a simulated clock: seconds, no servers. `npm run test:unit` runs it alone. */
const unit = ['test/engine/**/*.test.ts', 'test/scenario/**/*.test.ts', 'test/evidence/**/*.test.ts', 'test/*.test.ts', 'test/exit-readiness/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { NODE_NO_WARNINGS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    setupFiles: ['test/lab/isolated-locks.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: unit } },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/**/*.test.ts'],
          exclude: unit,
          // The real servers (sshd, radosgw, PostgreSQL), started once per run when a selected file needs them.
          globalSetup: ['test/lab/global-setup.ts', 'test/lab/heavy-servers.ts'],
        },
      },
    ],
  },
});
