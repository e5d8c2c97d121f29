import { sentenceSpans } from '../text/sentences.js';
import type { LoadedIndex } from '../index/loaded-index.js';
import type { Chunk, Hit } from '../types.js';

/**
 * Candidate answer units: pieces of the retrieved chunks that can stand alone. A sentence; a
 * list item read with its lead-in; a whole list (lead-in plus items); a table row read with its
 * header; a heading with its child headings. Never a bare date stub ("Feb 7, 2021 ..."), a colon
 * lead-in without its items, or a verbless fragment ("Runner-up.", "7.").
 */
export type UnitKind = 'sentence' | 'item' | 'row' | 'list' | 'headings';

export interface Span {
  start: number;
  end: number;
}

export interface Unit {
  kind: UnitKind;
  chunk: Chunk;
  hitRank: number;
  /** The quoted span of the document (for `headings`: the parent heading line). */
  start: number;
  end: number;
  /** Verbatim text of the span. */
  text: string;
  /** How the unit reads in an answer: table rows as sentences, lists compacted, markup dropped. */
  display: string;
  /** Text that gives the unit its meaning without being part of it: a header row, a lead-in, a parent heading. */
  context: string;
  /** For `headings`: the child heading lines, each cited on its own. */
  parts: Span[];
  order: number;
  /** Neighbouring sentence units in the same paragraph (indices into the unit list). */
  prev: number | null;
  next: number | null;
  /** A lead-in sentence ("… owns the entire commerce stack:"): the index of its whole-list unit. */
  listUnit?: number;
}

const ITEM = /^(\s*(?:[-*+•]|\d{1,3}[.)])\s+)/;
const MONTHS = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
/** A date (or date and time) standing at the start of a passage as a dateline, with its separator. */
const DATE_STUB = new RegExp(`^\\s*(?:(?:${MONTHS})\\.?\\s+\\d{1,2},?\\s+\\d{4}|\\d{1,2}\\s+${MONTHS}\\.?\\s+\\d{4}|\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{2,4})(?:\\s*(?:\\.{3}|…|—|–|-|:|\\||·)\\s*|\\s*$)`, 'i');

function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/**
 * A table row as a sentence: "Agent frameworks — Western Stack: OpenClaw, LangChain; China Stack:
 * Alibaba Token Hub, QClaw". The first cell is taken as the row's label when the header has one
 * empty cell (where it stands does not matter: headers often put the blank last by mistake).
 */
function rowText(row: string, header: string): string {
  const r = cells(row);
  const h = header ? cells(header.split('\n')[0]) : [];
  const named = h.filter(Boolean);
  if (h.length === r.length && named.length === r.length - 1) {
    return `${r[0]} — ${r.slice(1).map((c, i) => `${named[i]}: ${c}`).join('; ')}`;
  }
  if (h.length === r.length && named.length === r.length) return r.map((c, i) => `${h[i]}: ${c}`).join('; ');
  return r.filter(Boolean).join(' — ');
}

export function clean(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\*\*|__|`/g, '').replace(/^#{1,6}\s+/, '').trim();
}

/** A fragment that cannot answer anything alone: fewer than three words, or no word with a lowercase letter. */
export function isFragment(text: string): boolean {
  const ws = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
  if (ws.length < 3) return true;
  return !ws.some((w) => /\p{Ll}{2}/u.test(w));
}

/** Cuts a leading dateline ("Feb 7, 2021 ... ") off a sentence; returns the new start. */
export function skipDateStub(doc: string, start: number, end: number): number {
  const m = DATE_STUB.exec(doc.slice(start, end));
  return m ? start + m[0].length : start;
}

interface HeadingLine {
  text: string;
  start: number;
  end: number;
}

interface HeadingOutline {
  lines: HeadingLine[];
  /** Child headings of each heading path (joined with NUL), in document order. */
  children: Map<string, string[]>;
}

const outlineCache = new WeakMap<LoadedIndex, Map<string, HeadingOutline>>();

/**
 * A document's heading lines (Markdown `#` lines and the chunker's heading-like lines) and which
 * headings sit under which, computed once per document and index generation.
 */
function outlineOf(index: LoadedIndex, source: string): HeadingOutline {
  let perIndex = outlineCache.get(index);
  if (!perIndex) {
    perIndex = new Map();
    const bySource = new Map<string, Chunk[]>();
    for (const c of index.chunks) {
      const list = bySource.get(c.source);
      if (list) list.push(c);
      else bySource.set(c.source, [c]);
    }
    for (const [src, chunks] of bySource) perIndex.set(src, buildOutline(index.docTexts.get(src) ?? '', chunks));
    outlineCache.set(index, perIndex);
  }
  return perIndex.get(source) ?? { lines: [], children: new Map() };
}

function buildOutline(doc: string, chunks: Chunk[]): HeadingOutline {
  // each heading's own string (from the chunks), not the line's: a slice of the document would
  // keep every document's whole text alive in this per-generation cache (650 MB at 1M chunks)
  const names = new Map(chunks.flatMap((c) => c.headings).map((h) => [h, h]));
  const lines: HeadingLine[] = [];
  let at = 0;
  for (const line of doc.split('\n')) {
    const t = line.replace(/^#{1,6}\s+/, '').trim();
    const name = t ? names.get(t) : undefined;
    if (name !== undefined) lines.push({ text: name, start: at + line.indexOf(t), end: at + line.indexOf(t) + t.length });
    at += line.length + 1;
  }
  const children = new Map<string, string[]>();
  for (const c of chunks) {
    for (let depth = 1; depth < c.headings.length; depth++) {
      const key = c.headings.slice(0, depth).join('\u0000');
      const list = children.get(key) ?? [];
      if (!list.includes(c.headings[depth])) list.push(c.headings[depth]);
      children.set(key, list);
    }
  }
  return { lines, children };
}

/** The next non-empty line after `from` (before `end`), or ''. */
function nextLine(doc: string, from: number, end: number): string {
  let at = from + 1;
  while (at < end) {
    let e = doc.indexOf('\n', at);
    if (e === -1 || e > end) e = end;
    const line = doc.slice(at, e);
    if (line.trim()) return line;
    at = e + 1;
  }
  return '';
}

export interface UnitOptions {
  /** Add whole lists and heading groups (list questions); items and sentences are always there. */
  groups: boolean;
  /** Without `units` (ablation): sentences only, as the reader had before. */
  structured: boolean;
}

export function buildUnits(hits: Hit[], index: LoadedIndex, opts: UnitOptions): Unit[] {
  const out: Unit[] = [];
  const seen = new Set<string>();
  const push = (u: Omit<Unit, 'order' | 'prev' | 'next' | 'listUnit'>, prev: number | null = null): number => {
    const key = `${u.kind}\u0000${u.chunk.source}\u0000${u.start}\u0000${u.end}`;
    if (seen.has(key)) return -1;
    seen.add(key);
    out.push({ ...u, order: out.length, prev, next: null });
    if (prev !== null) out[prev].next = out.length - 1;
    return out.length - 1;
  };
  for (const h of hits) {
    const c = h.chunk;
    const doc = index.docTexts.get(c.source);
    if (doc === undefined) continue;
    if (c.kind === 'table') {
      const header = c.text.slice(0, c.text.length - (c.end - c.start));
      const text = doc.slice(c.start, c.end);
      push({ kind: 'row', chunk: c, hitRank: h.rank, start: c.start, end: c.end, text, display: clean(rowText(text, header)), context: header, parts: [] });
      continue;
    }
    let lineStart = c.start;
    let leadIn: Span | null = null;
    let leadInUnit = -1;
    let list: { first: number; items: Span[] } | null = null;
    let last: number | null = null;
    const closeList = () => {
      if (list && opts.structured && list.items.length >= 2) {
        const start = leadIn ? leadIn.start : list.items[0].start;
        const end = list.items[list.items.length - 1].end;
        const lead = leadIn ? clean(doc.slice(leadIn.start, leadIn.end)) : '';
        const items = list.items.map((s) => clean(doc.slice(s.start, s.end)).replace(/[.;]$/, ''));
        const at = push({ kind: 'list', chunk: c, hitRank: h.rank, start, end, text: doc.slice(start, end), display: `${lead ? `${lead} ` : ''}${items.join('; ')}.`, context: '', parts: [] });
        if (at >= 0 && leadInUnit >= 0) out[leadInUnit].listUnit = at;
      }
      list = null;
      leadInUnit = -1;
    };
    while (lineStart < c.end) {
      let lineEnd = doc.indexOf('\n', lineStart);
      if (lineEnd === -1 || lineEnd > c.end) lineEnd = c.end;
      const line = doc.slice(lineStart, lineEnd);
      const item = ITEM.exec(line);
      if (/^\s*#{1,6}\s/.test(line) || line.trim() === '') {
        closeList();
        leadIn = null;
        last = null;
      } else if (item) {
        const s = lineStart + item[0].length;
        let e = lineEnd;
        while (e > s && /\s/.test(doc[e - 1])) e--;
        if (!list) list = { first: out.length, items: [] };
        list.items.push({ start: s, end: e });
        const text = doc.slice(s, e);
        const context = leadIn ? clean(doc.slice(leadIn.start, leadIn.end)) : '';
        // an item reads with its lead-in; a short item without one is a fragment
        if (opts.structured ? context || !isFragment(text) : !isFragment(text)) {
          push({ kind: opts.structured ? 'item' : 'sentence', chunk: c, hitRank: h.rank, start: s, end: e, text, display: clean(text), context: opts.structured ? context : '', parts: [] });
        }
        last = null;
      } else {
        closeList();
        leadIn = null;
        // sentences lean on the ones before them in the same paragraph (a line), not across lines
        last = null;
        for (const [s0, e] of sentenceSpans(doc, lineStart, lineEnd)) {
          const s = skipDateStub(doc, s0, e);
          const text = doc.slice(s, e);
          // a lead-in belongs to the list below it: it answers alone only what it holds itself
          // (the reader swaps in the whole list otherwise)
          const isLeadIn = /:\s*$/.test(text) && e === lineEnd && ITEM.test(nextLine(doc, lineEnd, c.end));
          if (isLeadIn) leadIn = { start: s, end: e };
          if (isFragment(text)) continue;
          const i = push({ kind: 'sentence', chunk: c, hitRank: h.rank, start: s, end: e, text, display: clean(text).replace(/:$/, '.'), context: '', parts: [] }, last);
          if (i >= 0) last = i;
          if (isLeadIn) leadInUnit = i;
        }
      }
      lineStart = lineEnd + 1;
    }
    closeList();
    // heading groups: a heading of this chunk's path with two or more child headings
    if (opts.groups && opts.structured) {
      const { lines, children: outline } = outlineOf(index, c.source);
      for (let depth = 0; depth < c.headings.length; depth++) {
        const parent = c.headings.slice(0, depth + 1);
        const children = outline.get(parent.join('\u0000')) ?? [];
        if (children.length < 2) continue;
        const p = lines.find((l) => l.text === parent[parent.length - 1]);
        const parts = children.map((t) => lines.find((l) => l.text === t && (!p || l.start > p.start))).filter((l): l is HeadingLine => !!l);
        if (!p || parts.length !== children.length) continue;
        push({ kind: 'headings', chunk: c, hitRank: h.rank, start: p.start, end: p.end, text: doc.slice(p.start, p.end), display: `${clean(p.text)}: ${children.map(clean).join('; ')}.`, context: '', parts: parts.map((l) => ({ start: l.start, end: l.end })) });
      }
    }
  }
  return out;
}
