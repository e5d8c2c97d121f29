/**
 * The compiled CLIs: what `npm run ask|repl|ingest|gaps` and `npm start` run (bin/docent.js →
 * dist/). End-to-end tests spawn these rather than the sources through tsx, which loads ~1.5 s
 * slower per process; tests/support/global-setup.ts rebuilds dist/ first when src/ is newer, so
 * they always run the code under test.
 */
import path from 'node:path';
import { ROOT } from './temp-project.js';

/** `dist/cli/<name>.js` for `ask`, `repl`, `ingest`, `gaps`, … */
export function distCli(name: string): string {
  return path.join(ROOT, 'dist', 'cli', `${name}.js`);
}

/** `dist/discord/main.js`, what `npm start` runs. */
export const DIST_BOT = path.join(ROOT, 'dist', 'discord', 'main.js');

/** `dist/discord/sharded.js`, the sharding manager (`bin/docent.js bot --sharded`, `npm run start:sharded`). */
export const DIST_SHARDED = path.join(ROOT, 'dist', 'discord', 'sharded.js');

/** `bin/docent.js`, the package's bin, which dispatches to dist/. */
export const BIN = path.join(ROOT, 'bin', 'docent.js');
