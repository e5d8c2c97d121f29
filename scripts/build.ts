/**
 * `npm run build` (npm's `prepare` step runs it at `npm ci`): compiles src/ into dist/ with tsc,
 * then replaces dist/vendor/langchain.js (tsc's re-export of the packages) with one bundled file,
 * so a cold `docent ask` does not load LangChain's ~370 modules one by one
 * (src/vendor/langchain.ts says why). hnswlib-node stays external: it is a native addon.
 * tsc builds incrementally (dist/.tsbuildinfo). Exits non-zero when tsc reports errors (it still writes every file, as before).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { staleSources } from '../src/cli/build-status.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const runTsc = () => spawnSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const compiled = (rel: string) => path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
let tsc = runTsc();
// an incremental build does not write again an output that was deleted since the last one: when
// one is missing, build from scratch
if (staleSources(root).some((rel) => !existsSync(compiled(rel)))) {
  rmSync(path.join(root, 'dist', '.tsbuildinfo'), { force: true });
  tsc = runTsc();
}

await build({
  entryPoints: [path.join(root, 'src/vendor/langchain.ts')],
  outfile: path.join(root, 'dist/vendor/langchain.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['hnswlib-node'],
  minify: true,
  legalComments: 'linked',
  // bundled CommonJS dependencies may require() Node's built-ins, which an ES module has no require for
  banner: { js: "import { createRequire as __docentRequire } from 'node:module'; const require = __docentRequire(import.meta.url);" },
  logLevel: 'warning',
});

// tsc builds incrementally and leaves an output alone when its source was saved unchanged; the
// bin's staleness check (src/cli/build-status.ts) compares mtimes, so every output is stamped as
// built now
const now = new Date();
for (const rel of staleSources(root)) if (existsSync(compiled(rel))) utimesSync(compiled(rel), now, now);

process.exitCode = tsc.status ?? 1;
