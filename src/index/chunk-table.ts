import fs from 'node:fs/promises';
import path from 'node:path';
import type { Chunk, ChunkKind } from '../types.js';
import { TimeSlice } from '../time-slice.js';
import { writeFileSynced } from './atomic-file.js';
import { DocTexts, encodeText, type TextRef } from './doc-texts.js';
import type { SavedFiles } from './search-index.js';

/**
 * A generation's chunks and document texts in a compact layout (index format 4), which keeps a
 * million chunks within one box's memory (docs/BENCH.md, "1M chunks on one box"):
 *
 *   texts.bin         every document's text, one after another (latin1 or UTF-16LE each, see
 *                     doc-texts.ts); read on demand, never held whole
 *   chunk-table.bin   one column per chunk field (document, title, heading path, kind, ranges,
 *                     lines, id as 10 bytes), little-endian typed arrays in chunk order
 *   chunk-table.json  the small parts: documents (source, where its text lies), the distinct
 *                     titles and heading paths the columns point into, column byte ranges, and
 *                     the text of table-row chunks (header row + row, not a slice of the document)
 *
 * It replaces chunks.json (1M objects to JSON.parse) and docs.json (which cannot even be built
 * at 1M chunks: its 630 MB of JSON is longer than V8's longest string). Loaded chunks share their
 * title and heading-path values, and a chunk's `text` is read from its document when asked for.
 */
const FORMAT = 'docent-chunk-table';
const VERSION = 1;
const KINDS: ChunkKind[] = ['paragraph', 'list', 'table', 'heading'];
const HEX_ID = /^[0-9a-f]{20}$/;

interface ArrayRef {
  at: number;
  bytes: number;
}

interface Header {
  format: string;
  version: number;
  count: number;
  docs: TextRef[];
  titles: string[];
  paths: string[][];
  kinds: string[];
  /** Text of each chunk that is not the slice of its document (table rows), by chunk position. */
  texts: Record<string, string>;
  /** Chunk ids when one is not 20 hex digits (the ids column is then absent). */
  ids: string[] | null;
  columns: Record<Column, ArrayRef | null>;
}

type Column = 'doc' | 'title' | 'path' | 'kind' | 'start' | 'end' | 'lineStart' | 'lineEnd' | 'id';

/** Writes texts.bin, chunk-table.bin and chunk-table.json into `dir`, flushed; returns their sizes and checksums. */
export async function writeChunkTable(dir: string, chunks: Chunk[], docs: Array<{ source: string; text: string }>, slice: TimeSlice = new TimeSlice()): Promise<SavedFiles> {
  const refs: TextRef[] = [];
  const docIndex = new Map<string, number>();
  const parts: Buffer[] = [];
  let at = 0;
  for (const d of docs) {
    const { enc, bytes } = encodeText(d.text);
    docIndex.set(d.source, refs.length);
    refs.push({ source: d.source, enc, at, bytes: bytes.byteLength });
    parts.push(bytes);
    at += bytes.byteLength;
    if (slice.due()) await slice.pause();
  }
  const n = chunks.length;
  const col = {
    doc: new Uint32Array(n),
    title: new Uint32Array(n),
    path: new Uint32Array(n),
    kind: new Uint8Array(n),
    start: new Uint32Array(n),
    end: new Uint32Array(n),
    lineStart: new Uint32Array(n),
    lineEnd: new Uint32Array(n),
  };
  const titles = new Interner<string>((t) => t);
  const paths = new Interner<string[]>((p) => JSON.stringify(p));
  const texts: Record<string, string> = {};
  const hexIds = chunks.every((c) => HEX_ID.test(c.id));
  const ids = hexIds ? Buffer.alloc(n * 10) : null;
  for (let i = 0; i < n; i++) {
    const c = chunks[i];
    const d = docIndex.get(c.source);
    if (d === undefined) throw new Error(`chunk ${c.id} belongs to ${c.source}, which is not among the documents`);
    col.doc[i] = d;
    col.title[i] = titles.id(c.title);
    col.path[i] = paths.id(c.headings);
    const kind = KINDS.indexOf(c.kind);
    if (kind < 0) throw new Error(`chunk ${c.id} has an unknown kind ${c.kind}`);
    col.kind[i] = kind;
    col.start[i] = c.start;
    col.end[i] = c.end;
    col.lineStart[i] = c.lineStart;
    col.lineEnd[i] = c.lineEnd;
    const doc = docs[d].text;
    if (c.end > doc.length || c.end - c.start !== c.text.length || !doc.startsWith(c.text, c.start)) texts[i] = c.text;
    if (ids) ids.write(c.id, i * 10, 'hex');
    if (slice.due()) await slice.pause();
  }
  const columns = {} as Header['columns'];
  const bin: Buffer[] = [];
  let offset = 0;
  const add = (name: Column, a: ArrayBufferView | null) => {
    if (!a) {
      columns[name] = null;
      return;
    }
    const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    columns[name] = { at: offset, bytes: b.byteLength };
    bin.push(b);
    offset += b.byteLength;
    // every column starts 4-byte aligned
    const pad = (4 - (offset % 4)) % 4;
    if (pad) {
      bin.push(Buffer.alloc(pad));
      offset += pad;
    }
  };
  for (const name of ['doc', 'title', 'path', 'start', 'end', 'lineStart', 'lineEnd', 'kind'] as const) add(name, col[name]);
  add('id', ids);
  const header: Header = {
    format: FORMAT,
    version: VERSION,
    count: n,
    docs: refs,
    titles: titles.values,
    paths: paths.values,
    kinds: KINDS,
    texts,
    ids: hexIds ? null : chunks.map((c) => c.id),
    columns,
  };
  return {
    'texts.bin': await writeFileSynced(path.join(dir, 'texts.bin'), Buffer.concat(parts)),
    'chunk-table.bin': await writeFileSynced(path.join(dir, 'chunk-table.bin'), Buffer.concat(bin)),
    'chunk-table.json': await writeFileSynced(path.join(dir, 'chunk-table.json'), JSON.stringify(header)),
  };
}

/** Reads what `writeChunkTable` wrote: the chunks in order, and the document texts (read on demand). */
export async function loadChunkTable(dir: string): Promise<{ chunks: Chunk[]; docTexts: DocTexts }> {
  const { header, bin } = await readTable(dir);
  const textsFile = path.join(dir, 'texts.bin');
  const size = (await fs.stat(textsFile)).size;
  for (const r of header.docs) if (r.at + r.bytes > size || (r.enc !== 'latin1' && r.enc !== 'utf16le')) throw new Error(`texts.bin does not hold ${r.source}'s text`);
  const docTexts = new DocTexts(textsFile, header.docs);
  const n = header.count;
  const col = columnsOf(header, bin);
  const ids = header.ids ?? null;
  const paths = header.paths.map((p) => Object.freeze(p) as string[]);
  const chunks: Chunk[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const doc = header.docs[col.doc[i]];
    const title = header.titles[col.title[i]];
    const headings = paths[col.path[i]];
    const kind = header.kinds[col.kind[i]] as ChunkKind;
    if (doc === undefined || title === undefined || headings === undefined || kind === undefined) throw new Error(`chunk-table.bin: chunk ${i} points outside the tables`);
    const id = ids ? ids[i] : col.id!.toString('hex', i * 10, i * 10 + 10);
    const own = header.texts[i];
    const chunk = new StoredChunk(id, doc.source, title, headings, kind, col.start[i], col.end[i], col.lineStart[i], col.lineEnd[i], docTexts);
    if (own !== undefined) Object.defineProperty(chunk, 'text', { value: own, enumerable: true, writable: true, configurable: true });
    else if (col.end[i] * (doc.enc === 'latin1' ? 1 : 2) > doc.bytes || col.start[i] > col.end[i]) throw new Error(`chunk ${id} points outside ${doc.source}`);
    chunks[i] = chunk;
  }
  return { chunks, docTexts };
}

/** The chunk ids of a generation, in order (what an incremental build reuses vectors by). */
export async function readChunkIds(dir: string): Promise<string[]> {
  const { header, bin } = await readTable(dir);
  if (header.ids) return header.ids;
  const ids = columnsOf(header, bin).id!;
  const out = new Array<string>(header.count);
  for (let i = 0; i < header.count; i++) out[i] = ids.toString('hex', i * 10, i * 10 + 10);
  return out;
}

async function readTable(dir: string): Promise<{ header: Header; bin: Buffer }> {
  const header = JSON.parse(await fs.readFile(path.join(dir, 'chunk-table.json'), 'utf8')) as Header;
  if (header.format !== FORMAT || header.version !== VERSION) throw new Error(`chunk-table.json is not a ${FORMAT} of version ${VERSION}`);
  return { header, bin: await fs.readFile(path.join(dir, 'chunk-table.bin')) };
}

function columnsOf(header: Header, bin: Buffer) {
  const n = header.count;
  const view = <T>(name: Column, Ctor: { new (b: ArrayBufferLike, o: number, l: number): T; BYTES_PER_ELEMENT: number }): T => {
    const r = header.columns[name];
    if (!r || r.bytes !== n * Ctor.BYTES_PER_ELEMENT || r.at + r.bytes > bin.byteLength) throw new Error(`chunk-table.bin: the ${name} column is missing or of the wrong size`);
    // Buffer pools may start at any offset: copy when the view would be misaligned
    const at = bin.byteOffset + r.at;
    if (at % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bin.buffer, at, n);
    return new Ctor(Uint8Array.prototype.slice.call(bin, r.at, r.at + r.bytes).buffer, 0, n);
  };
  const idRef = header.columns.id;
  if (!header.ids && (!idRef || idRef.bytes !== n * 10 || idRef.at + idRef.bytes > bin.byteLength)) throw new Error('chunk-table.bin: the id column is missing or of the wrong size');
  return {
    doc: view('doc', Uint32Array),
    title: view('title', Uint32Array),
    path: view('path', Uint32Array),
    kind: view('kind', Uint8Array),
    start: view('start', Uint32Array),
    end: view('end', Uint32Array),
    lineStart: view('lineStart', Uint32Array),
    lineEnd: view('lineEnd', Uint32Array),
    id: header.ids ? null : bin.subarray(idRef!.at, idRef!.at + idRef!.bytes),
  };
}

/** Distinct values, each numbered once in first-seen order. */
class Interner<T> {
  readonly values: T[] = [];
  private readonly ids = new Map<string, number>();
  constructor(private readonly key: (v: T) => string) {}

  id(v: T): number {
    const k = this.key(v);
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(k, id);
      this.values.push(v);
    }
    return id;
  }
}

/**
 * A loaded chunk: its fields as stored, its text the slice of its document, read when asked for
 * (a table row's text is an own property instead). `toJSON` gives the plain chunk, text included.
 */
class StoredChunk implements Chunk {
  readonly #texts: DocTexts;
  constructor(
    readonly id: string,
    readonly source: string,
    readonly title: string,
    readonly headings: string[],
    readonly kind: ChunkKind,
    readonly start: number,
    readonly end: number,
    readonly lineStart: number,
    readonly lineEnd: number,
    texts: DocTexts,
  ) {
    this.#texts = texts;
  }

  get text(): string {
    return this.#texts.get(this.source)!.slice(this.start, this.end);
  }

  toJSON(): Chunk {
    const { id, source, title, headings, kind, text, start, end, lineStart, lineEnd } = this;
    return { id, source, title, headings, kind, text, start, end, lineStart, lineEnd };
  }
}
