import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { buildGloveCache, findRank, isCacheComplete, readGloveCache, wordAt } from '../../src/embeddings/glove-cache.js';
import { GLOVE_CACHE_FILE, GloveEmbeddings } from '../../src/embeddings/glove.js';
import { writeGloveFixture, type GloveFixture } from '../fixtures/embeddings/glove-fixture.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'docent-glove-cache-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectRoundTrip(fixture: GloveFixture, cachePath: string): void {
  const t = readGloveCache(cachePath);
  expect(t.count).toBe(fixture.words.length);
  expect(t.dims).toBe(fixture.vectors[0].length);
  fixture.words.forEach((w, r) => {
    expect(wordAt(t, r)).toBe(w);
    expect(findRank(t, w)).toBe(r);
    const scale = t.scales[r];
    for (let i = 0; i < t.dims; i++) {
      // int8 with a per-row scale: every component within half a quantization step.
      expect(Math.abs(t.vectors[r * t.dims + i] * scale - fixture.vectors[r][i])).toBeLessThanOrEqual(scale / 2 + 1e-7);
    }
  });
}

describe('GloVe cache converter', () => {
  it('GIVEN a wink-format JSON WHEN converted THEN the cache holds the same words in rank order and the vectors within quantization error', () => {
    const json = path.join(dir, 'compact.json');
    const fixture = writeGloveFixture(json);
    const cachePath = path.join(dir, 'compact.bin');
    const stats = buildGloveCache(json, cachePath);
    expect(stats).toMatchObject({ count: fixture.words.length, dims: 8 });
    expectRoundTrip(fixture, cachePath);
    expect(isCacheComplete(cachePath)).toBe(true);
  });

  it('GIVEN pretty-printed JSON with the vectors in reverse order THEN ranks still come from wordIndex', () => {
    const json = path.join(dir, 'pretty.json');
    const fixture = writeGloveFixture(json, { pretty: true, shuffle: true, dims: 12 });
    const cachePath = path.join(dir, 'pretty.bin');
    buildGloveCache(json, cachePath);
    expectRoundTrip(fixture, cachePath);
  });

  it('GIVEN tiny read chunks that split keys, numbers and the "vectors" marker THEN the cache is byte-identical', () => {
    for (const pretty of [false, true]) {
      const json = path.join(dir, `chunks-${pretty}.json`);
      writeGloveFixture(json, { pretty });
      const whole = path.join(dir, `chunks-${pretty}-whole.bin`);
      buildGloveCache(json, whole);
      for (const chunkBytes of [1, 7, 13, 64, 333]) {
        const split = path.join(dir, `chunks-${pretty}-${chunkBytes}.bin`);
        buildGloveCache(json, split, { chunkBytes });
        expect(readFileSync(split).equals(readFileSync(whole))).toBe(true);
      }
    }
  });

  it('GIVEN a word that is not in the vocabulary THEN the lookup misses', () => {
    const json = path.join(dir, 'miss.json');
    writeGloveFixture(json);
    const cachePath = path.join(dir, 'miss.bin');
    buildGloveCache(json, cachePath);
    const t = readGloveCache(cachePath);
    for (const w of ['wukong', 'th', 'thee', '', 'café ', 'cafe']) expect(findRank(t, w)).toBe(-1);
  });

  it('GIVEN a truncated source JSON THEN conversion fails with EMBEDDINGS_SOURCE_INVALID and leaves no cache or temp file', () => {
    const json = path.join(dir, 'cut.json');
    writeGloveFixture(json);
    const bytes = readFileSync(json);
    writeFileSync(json, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const out = path.join(dir, 'cut-out');
    expect(() => buildGloveCache(json, path.join(out, 'c.bin'))).toThrow(expect.objectContaining({ code: 'EMBEDDINGS_SOURCE_INVALID' }));
    expect(readdirSync(out)).toEqual([]); // no partial cache, no temp file
  });
});

describe('GloVe cache validation', () => {
  function freshCache(name: string): string {
    const json = path.join(dir, `${name}.json`);
    writeGloveFixture(json);
    const cachePath = path.join(dir, `${name}.bin`);
    buildGloveCache(json, cachePath);
    return cachePath;
  }

  it('GIVEN a truncated cache THEN reading it fails with EMBEDDINGS_CACHE_INVALID saying truncated', () => {
    const cachePath = freshCache('trunc');
    truncateSync(cachePath, 100);
    expect(() => readGloveCache(cachePath)).toThrow(expect.objectContaining({ code: 'EMBEDDINGS_CACHE_INVALID', message: expect.stringMatching(/truncated/) }));
    expect(isCacheComplete(cachePath)).toBe(false);
  });

  it('GIVEN a cache with one flipped byte THEN reading it fails with a checksum mismatch', () => {
    const cachePath = freshCache('flip');
    const b = readFileSync(cachePath);
    b[b.length - 40] ^= 0xff;
    writeFileSync(cachePath, b);
    expect(() => readGloveCache(cachePath)).toThrow(expect.objectContaining({ code: 'EMBEDDINGS_CACHE_INVALID' }));
  });

  it('GIVEN a file that is not a cache THEN reading it fails with bad magic', () => {
    const cachePath = path.join(dir, 'junk.bin');
    writeFileSync(cachePath, Buffer.alloc(4096, 7));
    expect(() => readGloveCache(cachePath)).toThrow(/bad magic/);
  });

  it('GIVEN a truncated cache and the source JSON WHEN loading THEN the cache is rebuilt with one notice line', async () => {
    const cacheDir = path.join(dir, 'rebuild');
    const json = path.join(dir, 'rebuild.json');
    writeGloveFixture(json);
    const notices: string[] = [];
    await GloveEmbeddings.load({ cacheDir, sourcePath: json, notice: (l) => notices.push(l) });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/not built yet/);
    truncateSync(path.join(cacheDir, GLOVE_CACHE_FILE), 50);
    const g = await GloveEmbeddings.load({ cacheDir, sourcePath: json, notice: (l) => notices.push(l) });
    expect(notices).toHaveLength(2);
    expect(notices[1]).toMatch(/truncated/);
    expect(g.has('profit')).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([GLOVE_CACHE_FILE]); // no temp files left
    // A valid cache loads silently.
    await GloveEmbeddings.load({ cacheDir, sourcePath: json, notice: (l) => notices.push(l) });
    expect(notices).toHaveLength(2);
  });

  it('GIVEN no cache and no source JSON WHEN loading THEN a UserError EMBEDDER_UNAVAILABLE says how to fix it', async () => {
    const err = await GloveEmbeddings.load({ cacheDir: path.join(dir, 'none'), sourcePath: path.join(dir, 'absent.json') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ code: 'EMBEDDER_UNAVAILABLE', message: expect.stringMatching(/npm ci.*DOCENT_EMBEDDER/) });
  });
});
