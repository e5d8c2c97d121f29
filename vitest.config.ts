import os from 'node:os';
import { defineConfig } from 'vitest/config';

const cores = os.availableParallelism?.() ?? os.cpus().length;
/** DOCENT_FULL_SWEEP=1: the long fault-injection sweep, with its table printed. */
const fullSweep = process.env.DOCENT_FULL_SWEEP === '1';

export default defineConfig({
  test: {
    // the end-to-end tests spawn the compiled CLIs: dist/ is rebuilt first when src/ is newer
    globalSetup: ['tests/support/global-setup.ts', 'tests/support/pglite-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one worker per core minus one, i.e. a single worker on CI's 2 cores,
    // while the end-to-end files spend most of their time waiting on child processes
    maxWorkers: Math.max(2, cores - 1),
    // the runner's summary and every failure in full; a passing test prints nothing
    reporters: ['dot'],
    silent: fullSweep ? false : 'passed-only',
    projects: [
      // unit files share a worker's module cache (the GloVe table, LangChain, discord.js load
      // once per worker, not once per file: about 40% of their time); none mocks modules or
      // changes the environment
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], poolOptions: { forks: { isolate: false } } } },
      // end-to-end files start servers, bots and child processes: each gets a fresh worker
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'] } },
    ],
  },
});
