import { stemmer } from 'stemmer';

/**
 * Words and terms, the one tokenizer of the lexical index, the answerer, the conversation policy
 * and the LLM checks: lowercase, strip accents and possessives, drop stopwords, Porter-stem.
 * Numbers and amounts ("$100B", "74%", "2026") are kept.
 */

// A standard English stopword list (function words and question words).
const STOP = new Set(
  `a about above after again against all am an and any are aren't as at be because been before being below between both but by
can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from further had hadn't has hasn't
have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't
it it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own
same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've were
weren't what what's when when's where where's which while who who's whom why why's will with won't would wouldn't you you'd you'll
you're you've your yours yourself yourselves also did does just may might must shall whose yes get got s t much many`.split(/\s+/),
);

export function isStopword(word: string): boolean {
  return STOP.has(word);
}

/** A raw token of folded text (`words()` then splits hyphens and drops possessives and dots). */
export const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’.\-]*[\p{L}\p{N}%]|[\p{L}\p{N}]%?/gu;
const NON_ASCII = /[^\x00-\x7f]/;

/** Lowercased, accents folded (NFKD and mark removal are the identity on ASCII, so skipped there). */
export function fold(text: string): string {
  return NON_ASCII.test(text) ? text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase() : text.toLowerCase();
}

/** Lowercased words of `text`, accents folded, possessive 's removed, inner dots kept for U.S. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of fold(text).matchAll(WORD)) {
    let w = m[0];
    // most tokens are plain words: the rewrites below run only when a token has their character
    if (w.includes('’')) w = w.replace(/’/g, "'");
    if (w.endsWith("'s")) w = w.slice(0, -2);
    if (w.endsWith('.')) w = w.slice(0, -1);
    if (w.includes('-')) {
      // "open-source" → "open", "source" (and the joined form, for exact matches)
      for (const part of w.split('-')) if (part) out.push(part);
      out.push(w.replace(/-/g, ''));
      continue;
    }
    out.push(w.includes('.') ? w.replace(/\./g, '') : w);
  }
  return out;
}

/** Stems already computed: the same few thousand words are stemmed for every question. */
const STEMS = new Map<string, string>();
const STEMS_MAX = 100_000;

export function stem(word: string): string {
  if (word.length <= 3 || /^\p{N}/u.test(word)) return word;
  let s = STEMS.get(word);
  if (s === undefined) {
    if (STEMS.size >= STEMS_MAX) STEMS.clear();
    s = stemmer(word);
    STEMS.set(word, s);
  }
  return s;
}

/** Content terms: words minus stopwords, stemmed. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOP.has(w) || w.length === 0) continue;
    out.push(stem(w));
  }
  return out;
}
