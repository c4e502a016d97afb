import { globSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/sequencer.ts';

const FILES = {
  setupFiles: ['test/setup.ts'],
  // Generous: a loaded machine (both cores busy) runs these real processes several times
  // slower; a limit is there to end a hang, not to measure speed.
  testTimeout: 180_000,
  hookTimeout: 180_000,
};
// Files that would change what the next file in their worker sees: a vi.mock of a src module
// stays in the worker's module graph, globals a file sets stay on globalThis. Found by reading
// the files, so a new one that mocks or sets globals is isolated without being listed.
const ISOLATED = globSync('test/**/*.test.ts').filter((file) => /\bvi\.(mock|doMock|spyOn|stubGlobal)\(|\bglobalThis\./.test(readFileSync(file, 'utf8')));

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Tests spawn real processes (sqlite3, sshd, the CLI) and wait on them, on links and on
    // sleeps: one worker more than this machine's two cores keeps them busy. Beside two CPU
    // burners the suite took 551 s with 3 workers against 662 s with 2 (2026-12-07).
    pool: 'forks',
    maxWorkers: 3,
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      { test: { ...FILES, name: 'isolated', include: ISOLATED } },
      // The rest share their workers, one file after another: a fresh process and module graph
      // for each file cost up to ≈ 0.7 s of CPU (docs/BENCHMARKS.md, session 28). test/setup.ts
      // puts process.env back after every file.
      { test: { ...FILES, name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false } },
    ],
  },
});
