import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn real processes (sqlite3, sshd, the CLI); two cores: keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
  },
});
