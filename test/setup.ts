// Replaying a failed property test: fast-check prints its seed and path; run the suite again
// with FC_SEED=… FC_PATH=… to get the same counterexample at once.
import fc from 'fast-check';

if (process.env.FC_SEED) fc.configureGlobal({ seed: Number(process.env.FC_SEED), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) });
