// Replaying a failed property test: fast-check prints its seed and path; run the suite again
// with FC_SEED=… FC_PATH=… to get the same counterexample at once.
import fc from 'fast-check';
import { afterAll } from 'vitest';

if (process.env.FC_SEED) fc.configureGlobal({ seed: Number(process.env.FC_SEED), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) });

// Most test files share a worker (vitest.config.ts): the environment a file changed (a token, a
// piece size, PGPASSFILE) goes back to what it was before the next file starts.
const environment = { ...process.env };
afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
});
