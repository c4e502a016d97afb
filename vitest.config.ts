import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Generous: a loaded machine (both cores busy) runs these real processes several times
    // slower; a limit is there to end a hang, not to measure speed.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Tests spawn real processes (sqlite3, sshd, the CLI); two cores: keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
  },
});
