import fs from 'node:fs';

/** Where one document's text lies in texts.bin. */
export interface TextRef {
  source: string;
  /** latin1: one byte per UTF-16 code unit (every code unit ≤ 0xFF); utf16le: two. */
  enc: 'latin1' | 'utf16le';
  at: number;
  bytes: number;
}

/** How much decoded text stays cached (UTF-16 code units over all cached documents). */
export const DOC_TEXT_CACHE = { chars: 16 * 1024 * 1024, entries: 2048 };

const closer = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
});

/**
 * The documents' texts of a generation, read from its texts.bin when asked for instead of held
 * on the heap: at 1M chunks they are ~630 MB, more than the rest of the index together
 * (docs/BENCH.md, "1M chunks on one box"). A question needs a handful of them (quotes, line
 * numbers), so a read is a `pread` from the page cache, and recently used ones stay decoded in a
 * small LRU. Every code unit of a document is stored as latin1 or UTF-16LE, so a character
 * offset is a byte offset and texts round-trip exactly (lone surrogates included).
 *
 * It is a `Map<string, string>` to its users (`LoadedIndex.docTexts`): `get`, `has`, `size` and
 * iteration work as on a Map (iteration reads every document in turn); it cannot be changed. The
 * file stays open while the object lives (a generation pruned meanwhile stays readable) and is
 * closed when it is collected.
 */
export class DocTexts extends Map<string, string> {
  readonly #refs: Map<string, TextRef>;
  readonly #fd: number;
  readonly #cache = new Map<string, string>();
  #cachedChars = 0;
  #sealed = false;

  constructor(file: string, refs: TextRef[]) {
    super();
    const fd = fs.openSync(file, 'r');
    this.#fd = fd;
    this.#refs = new Map(refs.map((r) => [r.source, r]));
    this.#sealed = true;
    closer.register(this, fd);
  }

  override get size(): number {
    return this.#refs.size;
  }

  override has(source: string): boolean {
    return this.#refs.has(source);
  }

  override get(source: string): string | undefined {
    const hit = this.#cache.get(source);
    if (hit !== undefined) {
      // most recently used last
      this.#cache.delete(source);
      this.#cache.set(source, hit);
      return hit;
    }
    const ref = this.#refs.get(source);
    if (!ref) return undefined;
    const text = this.#read(ref);
    this.#cache.set(source, text);
    this.#cachedChars += text.length;
    for (const [k, v] of this.#cache) {
      if (this.#cachedChars <= DOC_TEXT_CACHE.chars && this.#cache.size <= DOC_TEXT_CACHE.entries) break;
      if (k === source) break;
      this.#cache.delete(k);
      this.#cachedChars -= v.length;
    }
    return text;
  }

  #read(ref: TextRef): string {
    const buf = Buffer.allocUnsafe(ref.bytes);
    let done = 0;
    while (done < ref.bytes) {
      const n = fs.readSync(this.#fd, buf, done, ref.bytes - done, ref.at + done);
      if (n === 0) throw new Error(`texts.bin ends before ${ref.source}'s text`);
      done += n;
    }
    return buf.toString(ref.enc);
  }

  override *keys(): MapIterator<string> {
    yield* this.#refs.keys();
  }

  override *values(): MapIterator<string> {
    for (const source of this.#refs.keys()) yield this.get(source)!;
  }

  override *entries(): MapIterator<[string, string]> {
    for (const source of this.#refs.keys()) yield [source, this.get(source)!];
  }

  override [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  override forEach(fn: (value: string, key: string, map: Map<string, string>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  override set(key: string, value: string): this {
    // Map's constructor calls set() for initial entries (there are none); afterwards it is read-only
    if (this.#sealed) throw new TypeError('the document texts of an index generation cannot be changed');
    return super.set(key, value);
  }

  override delete(_key?: string): boolean {
    throw new TypeError('the document texts of an index generation cannot be changed');
  }

  override clear(): void {
    throw new TypeError('the document texts of an index generation cannot be changed');
  }
}

/** How a document's text is stored in texts.bin, and its bytes. */
export function encodeText(text: string): { enc: TextRef['enc']; bytes: Buffer } {
  // eslint-disable-next-line no-control-regex
  const enc = /[^\u0000-\u00ff]/.test(text) ? 'utf16le' : 'latin1';
  return { enc, bytes: Buffer.from(text, enc) };
}
