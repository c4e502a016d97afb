// The CLI the tests start: the npm package's JavaScript, built once per run by
// test/global-setup.ts into the run's temporary folder — what an install runs, and about 60 ms
// less CPU per start than the clone's TypeScript, over the suite's ~900 starts. Tests of the
// clone's own start (test/cli/startup.test.ts, node-version.test.ts) name bin/sqlferry.js.
import { fileURLToPath } from 'node:url';

export const BIN = process.env.SQLFERRY_TEST_BIN ?? fileURLToPath(new URL('../bin/sqlferry.js', import.meta.url));
