import { createHash } from 'node:crypto';
import type { TimeSlice } from '../time-slice.js';
import type { Chunk, ChunkKind, LoadedDoc } from '../types.js';
import { lineOf, lineStarts } from '../text/lines.js';
import { sentenceSpanSteps } from '../text/sentences.js';

/**
 * Structure-aware chunking. The body is read line by line into blocks (headings, paragraphs,
 * lists, tables); headings build a heading path; small neighbouring blocks of one section are
 * merged up to `maxChars`, long paragraphs are split at sentence boundaries; every table row
 * becomes its own chunk that carries the table's header row, so a row can be found and read
 * on its own. Offsets and line numbers always refer to `doc.text`.
 */
export interface ChunkOptions {
  /** Upper bound of a merged chunk, characters (default 900). */
  maxChars?: number;
  /** Blocks are merged while the chunk is shorter than this (default 350). */
  minChars?: number;
  /** Give the event loop turns while chunking (the re-index on the thread that answers questions). */
  slice?: TimeSlice;
}

interface Block {
  kind: ChunkKind;
  start: number;
  end: number;
  headings: string[];
  /** For table rows: the header line and separator line, prepended to the row's text. */
  prefix?: string;
}

const MD_HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const LIST_ITEM = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+\S/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+\S/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const SMALL_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'but', 'by', 'for', 'from', 'in', 'into', 'of', 'on', 'or', 'the', 'to', 'vs', 'via', 'with', 'over', 'under', "don’t", "can’t", "don't", "can't"]);

/** Stable chunk id: a hash of the source path and the chunk text. */
export function chunkId(source: string, text: string): string {
  return createHash('sha256').update(source).update('\0').update(text).digest('hex').slice(0, 20);
}

/**
 * Is this plain-text line a heading? Short, no sentence punctuation at the end, mostly
 * capitalised words (or a numbered title such as "2. Wukong — The Enterprise Agent Platform"),
 * and followed by body text rather than standing inside a list.
 */
export function isHeadingLike(line: string, prev: string | undefined, next: string | undefined): boolean {
  const t = line.trim();
  if (t.length < 3 || t.length > 90) return false;
  // sentence punctuation at the end (possibly inside a closing quote or bracket): a sentence
  if (/[.!?:;,]["”’)]?$/.test(t)) return false;
  if (TABLE_ROW.test(t) || /^[-*+•>]/.test(t)) return false;
  if (next === undefined || next.trim() === '') {
    // a heading introduces something; a last line or one before a blank line may still be a
    // heading in blank-line-separated text, but only if the line before is blank too
    if (!(prev === undefined || prev.trim() === '')) return false;
    if (next === undefined) return false;
  }
  const numbered = NUMBERED.test(t);
  if (numbered && next !== undefined && NUMBERED.test(next)) return false;
  const body = t.replace(/^\d{1,3}[.)]\s+/, '');
  const words = body.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0 || words.length > 12) return false;
  const capitalised = words.filter((w) => /^[\p{Lu}\p{N}$¥€£"“‘'(]/u.test(w)).length;
  const small = words.filter((w) => SMALL_WORDS.has(w.toLowerCase())).length;
  const ratio = capitalised / Math.max(1, words.length - small);
  return ratio >= 0.75 && /^[\p{Lu}\p{N}"“‘]/u.test(body);
}

function headingLevelFromText(t: string, lastLevel: number): number {
  if (NUMBERED.test(t)) return Math.max(2, lastLevel === 1 ? 2 : lastLevel);
  return 1;
}

/** Splits `doc.text` (from `doc.bodyStart`) into blocks. */
function readBlocks(doc: LoadedDoc): Block[] {
  const text = doc.text;
  const blocks: Block[] = [];
  const lines: Array<{ start: number; end: number; s: string }> = [];
  let pos = doc.bodyStart;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    lines.push({ start: pos, end: nl, s: text.slice(pos, nl) });
    if (nl === text.length) break;
    pos = nl + 1;
  }
  const hasMdHeadings = doc.format === 'md' || doc.format === 'html' ? lines.some((l) => MD_HEADING.test(l.s)) : false;
  const path: Array<{ level: number; text: string }> = [];
  let lastHeuristicLevel = 0;
  let inFence = false;
  let fenceStart = -1;
  const setHeading = (level: number, title: string) => {
    while (path.length && path[path.length - 1].level >= level) path.pop();
    path.push({ level, text: title });
  };
  const headings = () => path.map((p) => p.text);

  for (let i = 0; i < lines.length; i++) {
    const { s, start, end } = lines[i];
    const t = s.trim();
    if (/^\s*(```|~~~)/.test(s)) {
      if (!inFence) {
        inFence = true;
        fenceStart = start;
      } else {
        inFence = false;
        blocks.push({ kind: 'paragraph', start: fenceStart, end, headings: headings() });
      }
      continue;
    }
    if (inFence) continue;
    if (t === '') continue;
    const md = MD_HEADING.exec(s);
    if (md && (doc.format === 'md' || doc.format === 'html' || hasMdHeadings)) {
      setHeading(md[1].length, md[2].trim());
      continue;
    }
    if (!hasMdHeadings && isHeadingLike(s, lines[i - 1]?.s, lines[i + 1]?.s)) {
      const level = headingLevelFromText(t, lastHeuristicLevel);
      lastHeuristicLevel = level;
      setHeading(level, t);
      continue;
    }
    if (TABLE_ROW.test(s)) {
      // gather the whole table
      let j = i;
      while (j + 1 < lines.length && TABLE_ROW.test(lines[j + 1].s)) j++;
      const rows = lines.slice(i, j + 1);
      const hasHeader = rows.length >= 2 && TABLE_SEP.test(rows[1].s);
      const prefix = hasHeader ? `${rows[0].s}\n${rows[1].s}\n` : '';
      const body = hasHeader ? rows.slice(2) : rows;
      if (body.length === 0) blocks.push({ kind: 'table', start: rows[0].start, end: rows[rows.length - 1].end, headings: headings() });
      for (const r of body) {
        if (TABLE_SEP.test(r.s)) continue;
        blocks.push({ kind: 'table', start: r.start, end: r.end, headings: headings(), prefix });
      }
      i = j;
      continue;
    }
    if (LIST_ITEM.test(s)) {
      let j = i;
      while (j + 1 < lines.length && (LIST_ITEM.test(lines[j + 1].s) || (/^\s{2,}\S/.test(lines[j + 1].s) && lines[j + 1].s.trim() !== ''))) j++;
      // an intro line ending with ":" directly above belongs with its list
      const prevBlock = blocks[blocks.length - 1];
      if (prevBlock && prevBlock.kind === 'paragraph' && /:\s*$/.test(text.slice(prevBlock.start, prevBlock.end)) && text.slice(prevBlock.end, start).trim() === '') {
        prevBlock.kind = 'list';
        prevBlock.end = lines[j].end;
      } else {
        blocks.push({ kind: 'list', start, end: lines[j].end, headings: headings() });
      }
      i = j;
      continue;
    }
    // Markdown joins consecutive lines into one paragraph; plain text often uses one line per
    // paragraph. Either way a line is a unit; merging into chunks happens below.
    blocks.push({ kind: 'paragraph', start, end, headings: headings() });
  }
  if (inFence) blocks.push({ kind: 'paragraph', start: fenceStart, end: text.length, headings: headings() });
  return blocks;
}

async function splitLong(text: string, b: Block, maxChars: number, slice?: TimeSlice): Promise<Block[]> {
  if (b.end - b.start <= maxChars || b.kind === 'table') return [b];
  const out: Block[] = [];
  let cur: Block | null = null;
  for (const [s, e] of sentenceSpanSteps(text, b.start, b.end)) {
    if (slice?.due()) await slice.pause();
    if (cur && e - cur.start > maxChars) {
      out.push(cur);
      cur = null;
    }
    if (!cur) cur = { ...b, start: s, end: e };
    else cur.end = e;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * A piece still over the limit after sentence splitting (one endless "sentence": a list without
 * full stops, a PDF page, a minified paragraph) is cut by LangChain's recursive splitter at the
 * best separator it finds (line, semicolon, comma, space); each piece is located in the text so
 * its offsets and lines stay exact.
 */
async function splitOversized(text: string, b: Block, maxChars: number): Promise<Block[]> {
  // imported here, not at the top: LangChain's module graph would cost every cold `ask` that
  // imports the build (which imports this module) ~0.4 s
  const { RecursiveCharacterTextSplitter } = await import('@langchain/textsplitters');
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: maxChars, chunkOverlap: 0, separators: ['\n', '; ', ', ', ' ', ''] });
  const pieces = await splitter.splitText(text.slice(b.start, b.end));
  const out: Block[] = [];
  let cursor = b.start;
  for (const piece of pieces) {
    const at = text.indexOf(piece, cursor);
    if (at < 0 || at + piece.length > b.end) return [b]; // the splitter changed the text: keep the block whole
    out.push({ ...b, start: at, end: at + piece.length });
    cursor = at + piece.length;
  }
  return out.length ? out : [b];
}

export async function chunkDocument(doc: LoadedDoc, opts: ChunkOptions = {}): Promise<Chunk[]> {
  const maxChars = opts.maxChars ?? 900;
  const minChars = opts.minChars ?? 350;
  const text = doc.text;
  const starts = lineStarts(text);
  const slice = opts.slice;
  const blocks: Block[] = [];
  for (const x of readBlocks(doc)) {
    for (const b of await splitLong(text, x, maxChars, slice)) {
      if (b.end - b.start > maxChars && b.kind !== 'table') blocks.push(...(await splitOversized(text, b, maxChars)));
      else blocks.push(b);
    }
    if (slice?.due()) await slice.pause();
  }
  const merged: Block[] = [];
  for (const b of blocks) {
    const last = merged[merged.length - 1];
    const sameSection = last && last.headings.join('\u0000') === b.headings.join('\u0000');
    if (
      last &&
      sameSection &&
      last.kind !== 'table' &&
      b.kind !== 'table' &&
      last.end - last.start < minChars &&
      b.end - last.start <= maxChars
    ) {
      last.end = b.end;
      if (b.kind === 'list') last.kind = 'list';
      continue;
    }
    merged.push({ ...b });
  }
  const seen = new Set<string>();
  const chunks: Chunk[] = [];
  for (const b of merged) {
    if (slice?.due()) await slice.pause();
    const own = text.slice(b.start, b.end);
    const chunkText = (b.prefix ?? '') + own;
    if (!/[\p{L}\p{N}]/u.test(own)) continue;
    let id = chunkId(doc.source, chunkText);
    if (seen.has(id)) id = chunkId(doc.source, `${chunkText}\u0000${b.start}`);
    seen.add(id);
    chunks.push({
      id,
      source: doc.source,
      title: doc.title,
      headings: b.headings,
      kind: b.kind,
      text: chunkText,
      start: b.start,
      end: b.end,
      lineStart: lineOf(starts, b.start),
      lineEnd: lineOf(starts, Math.max(b.start, b.end - 1)),
    });
  }
  return chunks;
}
