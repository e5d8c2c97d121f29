/**
 * Runs once before the suite: builds dist/ (`npm run build`) when src/ is newer, because the
 * end-to-end tests spawn the compiled CLIs (tests/support/dist.ts). A fresh clone's `npm ci`
 * has built it already, so this costs nothing there.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { staleSources } from '../../src/cli/build-status.js';
import { ROOT } from './temp-project.js';

export default function buildDistIfStale(): void {
  const stale = staleSources(ROOT);
  if (!stale.length) return;
  process.stderr.write(`dist/ is older than src/ (${stale.length} file(s)): building it first\n`);
  // type errors are `tsc --noEmit`'s business (npm test runs it first); tsc still writes every file
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // the end-to-end tests would run old code: stop here (a source saved while the build ran, a
  // build that could not write dist/)
  const still = staleSources(ROOT);
  if (still.length) throw new Error(`npm run build left dist/ older than src/ for ${still.slice(0, 5).join(', ')}; run it and see what it says`);
}
