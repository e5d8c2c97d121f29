import type { LoadedIndex } from '../index/loaded-index.js';
import { isStopword, stem } from '../text/words.js';

/**
 * The words the documents use, as written: how often each occurs and how often it is
 * capitalised. Question analysis uses it to correct typos toward words the documents use
 * ("lanch" → "launch") and to recognise names in lowercase questions ("eddie wu"). Built once
 * per index generation, on first use.
 */
export interface CorpusVocabulary {
  count(word: string): number;
  /** Share of the word's occurrences that are capitalised (0 for an unknown word). */
  capitalised(word: string): number;
  /** Words of the documents, lowercased, with their counts. */
  entries(): Iterable<[string, number]>;
}

const cache = new WeakMap<LoadedIndex, CorpusVocabulary>();

export function vocabularyOf(index: LoadedIndex): CorpusVocabulary {
  let v = cache.get(index);
  if (!v) cache.set(index, (v = buildVocabulary(index.docTexts.values())));
  return v;
}

export function buildVocabulary(texts: Iterable<string>): CorpusVocabulary {
  const counts = new Map<string, number>();
  const caps = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(/[\p{L}][\p{L}\p{N}]*/gu)) {
      const raw = m[0];
      const w = raw.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
      counts.set(w, (counts.get(w) ?? 0) + 1);
      const at = m.index ?? 0;
      // a capital after a sentence end or at a line start says nothing about the word
      const before = text.slice(Math.max(0, at - 2), at);
      const clauseStart = at === 0 || /(^|[.!?\n#>*-]\s?|\n)$/.test(before);
      if (/^\p{Lu}/u.test(raw) && !clauseStart) caps.set(w, (caps.get(w) ?? 0) + 1);
      else if (/^\p{Lu}/u.test(raw)) caps.set(w, (caps.get(w) ?? 0) + 0.5);
    }
  }
  return {
    count: (w) => counts.get(w) ?? 0,
    capitalised: (w) => {
      const n = counts.get(w);
      return n ? (caps.get(w) ?? 0) / n : 0;
    },
    entries: () => counts.entries(),
  };
}

/** Damerau–Levenshtein distance (adjacent transpositions count 1), giving up above `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
  }
  return rows[a.length][b.length];
}

/** Function words a typo may stand for ("teh" → "the", "waht" → "what"). */
const FUNCTION_WORDS = 'the what when where which who whom whose why how does did are was were is and for with from that this have has had will would could should about into than then them they there their'.split(' ');

/**
 * The word a typo most likely stands for: a document word (or a function word) within edit
 * distance 1 (2 for words of eight letters or more), the most frequent one if several are.
 * `acceptable(candidate)` lets the caller veto a correction (e.g. when the typed word is a real
 * English word and the candidate is no more common).
 */
export function correctTypo(word: string, vocab: CorpusVocabulary, acceptable: (candidate: string) => boolean): string | null {
  if (word.length < 3 || /\d/.test(word)) return null;
  const max = word.length >= 8 ? 2 : 1;
  let best: { w: string; d: number; n: number } | null = null;
  const consider = (w: string, n: number) => {
    if (w === word || Math.abs(w.length - word.length) > max || w.length < 3) return;
    // an inflection is not a typo ("compute" / "computer"): word vectors match those already
    if (w.startsWith(word) || word.startsWith(w)) return;
    const d = editDistance(word, w, max);
    if (d > max) return;
    if (!best || d < best.d || (d === best.d && n > best.n)) best = { w, d, n };
  };
  for (const w of FUNCTION_WORDS) consider(w, Number.MAX_SAFE_INTEGER);
  for (const [w, n] of vocab.entries()) if (!isStopword(w)) consider(w, n);
  // then the base forms of the documents' words ("lanch" → "launch" when they say "launched")
  if (!best) for (const [w, n] of vocab.entries()) if (!isStopword(w) && stem(w) !== w && /^[a-z]+$/.test(stem(w))) consider(stem(w), n);
  const found = best as { w: string } | null;
  return found && acceptable(found.w) ? found.w : null;
}
