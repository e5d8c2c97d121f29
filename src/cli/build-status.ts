/**
 * Whether dist/ (the compiled CLIs that `npm run ask|repl|ingest`, `npm start` and `npx docent`
 * run) is older than src/: the bin warns, so an edit is never silently ignored.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Source files (relative to src/) newer than their compiled file in dist/, or not compiled at all.
 * Empty when there is no src/ (an installed copy carries dist/ only). Stats only: a few ms.
 */
export function staleSources(root: string): string[] {
  const src = path.join(root, 'src');
  const dist = path.join(root, 'dist');
  let files: string[];
  try {
    files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const rel of files) {
    if (!rel.endsWith('.ts') || rel.endsWith('.d.ts')) continue;
    const compiled = fs.statSync(path.join(dist, rel.slice(0, -3) + '.js'), { throwIfNoEntry: false });
    if (!compiled || fs.statSync(path.join(src, rel)).mtimeMs > compiled.mtimeMs) stale.push(rel.split(path.sep).join('/'));
  }
  return stale;
}
