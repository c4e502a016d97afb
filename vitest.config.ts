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
    // Tests spawn real processes (sqlite3, sshd, the CLI) and wait on them, on links and on
    // sleeps: one worker more than this machine's two cores keeps them busy. Beside two CPU
    // burners the suite took 551 s with 3 workers against 662 s with 2 (2026-12-07).
    pool: 'forks',
    maxWorkers: 3,
    sequence: { sequencer: LongestFirstSequencer },
  },
});
