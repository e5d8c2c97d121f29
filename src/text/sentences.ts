/**
 * Sentence spans of a text, with absolute offsets: how the chunker splits long paragraphs and how
 * the answerer cuts chunks into units and checks an LLM's sentences. Lines are hard breaks;
 * initials, abbreviations and open brackets or quotes do not end a sentence.
 */
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * A segment that ends like this did not end a sentence: an initial ("Nicholas E."), a common
 * abbreviation ("c.", "Dr.", "St.", "vs.", "e.g."), or a bracket left open.
 */
const INITIAL = /(?:^|[\s(\[])\p{Lu}\.\s*$/u;
/** Abbreviations, whatever their case ("No. 1", "no. 1", "Fig. 2", "ST. Louis"). */
const ABBREVIATION = /(?:^|[\s(\[])(?:c|ca|cf|vs|v|e\.g|i\.e|etc|al|approx|no|nos|vol|pp?|fig|mr|mrs|ms|dr|prof|sr|jr|st|mt|gen|col|lt|capt|sgt|gov|rev|hon|inc|ltd|co|corp|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.\s*$/iu;

/** Brackets and quotation marks open so far in a run of text, updated as the text grows. */
interface OpenMarks {
  depth: number;
  curly: number;
  straight: number;
}

/** Reads `text` [from, to) into `m`: a bracket or a quotation left open means the sentence goes on. */
function readMarks(m: OpenMarks, text: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x28 || ch === 0x5b) m.depth++; // ( [
    else if ((ch === 0x29 || ch === 0x5d) && m.depth > 0) m.depth--; // ) ]
    else if (ch === 0x201c) m.curly++; // “
    else if (ch === 0x201d && m.curly > 0) m.curly--; // ”
    else if (ch === 0x22) m.straight++; // "
  }
}

const isOpen = (m: OpenMarks) => m.depth > 0 || m.curly > 0 || m.straight % 2 === 1;

/**
 * Does `text` [a, b) end like INITIAL or ABBREVIATION? Only its tail is tested (the trailing
 * whitespace and the 16 characters before it: longer than any abbreviation, so the patterns' `^`
 * can match only when the tail is the whole run), so a run that grows segment by segment is not
 * re-read from its start each time.
 */
function endsWithoutStop(text: string, a: number, b: number): boolean {
  let ws = b;
  while (ws > a && /\s/.test(text[ws - 1])) ws--;
  const tail = text.slice(Math.max(a, ws - 16), b);
  return INITIAL.test(tail) || ABBREVIATION.test(tail);
}

/**
 * The segmenter's work grows with the length of the text it is given times the sentences it finds
 * in it (a 296k-character line took 2.4 s, twice that 10.9 s), so a line longer than `max` is
 * given to it in windows of at least `window` characters that end where every sentence segmenter
 * breaks: after "!", "?" or "。" (closing quotes and spaces included) before a letter, or after
 * "." and a space before a capital. The segments are those of the whole line
 * (tests/unit/text/sentences.test.ts compares them on generated text) unless a "sentence" runs past
 * `max` characters: it is then cut after a space. Tests shrink the windows.
 */
export const SENTENCE_WINDOWS = {
  /** Characters a window holds at least before it may end at a certain break. */
  window: 1024,
  /** Lines up to this long are segmented whole; a window never grows past it. */
  max: 16_384,
};
const CERTAIN_BREAK = /(?:[!?。！？｡]["'”’)\]»]* *|\.["'”’)\]»]* +(?=\p{Lu}))(?=\p{L})/u;

/** Sentence segments of `text` [start, end) (one line) as the segmenter finds them, in linear time. */
function* segments(text: string, start: number, end: number): Generator<[number, number]> {
  const { window: WINDOW, max: MAX_WINDOW } = SENTENCE_WINDOWS;
  let s = start;
  while (s < end) {
    let e = end;
    if (end - s > MAX_WINDOW) {
      const m = CERTAIN_BREAK.exec(text.slice(s + WINDOW, s + MAX_WINDOW));
      e = m ? s + WINDOW + m.index + m[0].length : -1;
    }
    if (e !== -1) {
      for (const seg of segmenter.segment(text.slice(s, e))) yield [s + seg.index, s + seg.index + seg.segment.length];
      s = e;
      continue;
    }
    // No certain break: a break followed by another one inside a window is decided by text inside
    // it, so all segments but the last two stand. The window starts small (the segmenter's cost
    // per segment is the window's length: text dense with breaks, "1. 2. 3. …", stays cheap) and
    // grows while it holds fewer than three.
    let found: Array<[number, number]> = [];
    let w = Math.min(256, MAX_WINDOW);
    for (;;) {
      found = [];
      for (const seg of segmenter.segment(text.slice(s, s + w))) found.push([s + seg.index, s + seg.index + seg.segment.length]);
      if (found.length >= 3 || w === MAX_WINDOW) break;
      w = Math.min(MAX_WINDOW, w * 4);
    }
    if (found.length >= 3) {
      for (let i = 0; i < found.length - 2; i++) yield found[i];
      s = found[found.length - 2][0];
      continue;
    }
    if (found.length === 2) {
      yield found[0];
      s = found[1][0];
      continue;
    }
    // one "sentence" longer than the window (a list without full stops, a page without
    // punctuation): cut it after its last space, where it goes on as a new run
    const stop = s + MAX_WINDOW;
    let cut = stop;
    while (cut > s + WINDOW && !/\s/.test(text[cut - 1])) cut--;
    if (cut === s + WINDOW) cut = stop;
    if (/[\ud800-\udbff]/.test(text[cut - 1])) cut--; // never between the halves of a surrogate pair
    yield [s, cut];
    s = cut;
  }
}

/** Sentence spans inside [start, end) of `text` (offsets absolute), lines are hard breaks. Linear in the length. */
export function sentenceSpans(text: string, start: number, end: number): Array<[number, number]> {
  return [...sentenceSpanSteps(text, start, end)];
}

/** `sentenceSpans` one span at a time (a caller can pause between them). */
export function* sentenceSpanSteps(text: string, start: number, end: number): Generator<[number, number]> {
  const trimmed = (a: number, b: number): [number, number] | null => {
    while (a < b && /\s/.test(text[a])) a++;
    while (b > a && /\s/.test(text[b - 1])) b--;
    return b > a ? [a, b] : null;
  };
  const marks: OpenMarks = { depth: 0, curly: 0, straight: 0 };
  let lineStart = start;
  while (lineStart < end) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    let pending: number | null = null;
    for (const [segStart, b] of segments(text, lineStart, lineEnd)) {
      if (pending === null) {
        marks.depth = 0;
        marks.curly = 0;
        marks.straight = 0;
      }
      const a: number = pending ?? segStart;
      readMarks(marks, text, segStart, b);
      if (b < lineEnd && (endsWithoutStop(text, a, b) || isOpen(marks))) {
        pending = a;
        continue;
      }
      pending = null;
      const span = trimmed(a, b);
      if (span) yield span;
    }
    const last = pending === null ? null : trimmed(pending, lineEnd);
    if (last) yield last;
    lineStart = lineEnd + 1;
  }
}
