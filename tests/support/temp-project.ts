import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SEED_CORPUS = path.join(ROOT, 'corpus');

/** A temp folder with a copy of the seed corpus (or given files) and an empty index folder. */
export async function tempProject(files?: Record<string, string>): Promise<{ dir: string; corpusDir: string; indexDir: string; config: (env?: Record<string, string>) => Config; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-test-'));
  const corpusDir = path.join(dir, 'corpus');
  const indexDir = path.join(dir, 'index');
  await fs.mkdir(corpusDir);
  if (files) {
    for (const [name, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(corpusDir, name)), { recursive: true });
      await fs.writeFile(path.join(corpusDir, name), text);
    }
  } else {
    await fs.cp(SEED_CORPUS, corpusDir, { recursive: true });
  }
  return {
    dir,
    corpusDir,
    indexDir,
    config: (env = {}) =>
      loadConfig({ DOCENT_CORPUS_DIR: corpusDir, DOCENT_INDEX_DIR: indexDir, DOCENT_CACHE_DIR: path.join(ROOT, '.docent/cache'), ...env }, { cwd: ROOT }),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
