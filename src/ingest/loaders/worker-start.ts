import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * How a worker for `name` (a sibling module of `moduleUrl`) is started: the compiled `.js` file,
 * or, when running the TypeScript sources (tsx, vitest), a bootstrap that registers tsx's loader
 * in the worker before importing the `.ts` entry (Node 20 gives a worker no module hooks of its
 * own; tsx registers them on the main thread only). `preload` (ES module URLs) are imported
 * before tsx is registered: tsx would transform pdf.js's 3 MB on every start (~2 s instead of
 * ~0.2 s), and the entry's own import of them then finds them loaded.
 */
export function workerStart(moduleUrl: string, name: string, preload: string[] = []): { script: string | URL; eval: boolean } {
  if (!moduleUrl.endsWith('.ts')) return { script: new URL(`./${name}.js`, moduleUrl), eval: false };
  const tsxDir = path.dirname(createRequire(moduleUrl).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL(`./${name}.ts`, moduleUrl).href;
  const chain = [...preload.map((u) => `.then(() => import(${JSON.stringify(u)}))`), `.then(() => import(${JSON.stringify(api)}))`].join('');
  return { script: `Promise.resolve()${chain}.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}

/** The URL of a package's ES module entry (its `exports["."].import`), as an `import` from `fromUrl` resolves it. */
export function esmEntryUrl(pkg: string, fromUrl: string): string {
  let dir = path.dirname(createRequire(fromUrl).resolve(pkg));
  while (!existsJson(path.join(dir, 'package.json'), pkg)) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package.json of ${pkg} not found`);
    dir = up;
  }
  const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: unknown; module?: string; main?: string };
  const dot = (json.exports as Record<string, unknown> | undefined)?.['.'] ?? json.exports;
  const pick = (x: unknown): string | undefined =>
    typeof x === 'string' ? x : x && typeof x === 'object' ? pick((x as Record<string, unknown>).import ?? (x as Record<string, unknown>).default) : undefined;
  return pathToFileURL(path.join(dir, pick(dot) ?? json.module ?? json.main ?? 'index.js')).href;
}

function existsJson(file: string, name: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === name;
  } catch {
    return false;
  }
}
