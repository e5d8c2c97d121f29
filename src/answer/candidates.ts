/**
 * Answer candidates in a passage, by kind: dates, numbers, amounts of money, percentages and
 * names. The reader asks "does this unit hold an answer of the kind the question wants that the
 * question does not already contain?"; this module answers the first half with regular
 * expressions (README: why not wink-nlp).
 */
export type CandidateKind = 'date' | 'number' | 'money' | 'percentage' | 'name';

export interface Candidate {
  kind: CandidateKind;
  text: string;
  /** Offset of the candidate in the text it was found in. */
  index: number;
}

const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const DAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|twice|thrice';
const MAGNITUDE = '(?:thousand|million|billion|trillion|hundred|[kmb]n?\\b|bn\\b|mn\\b)';

const DATE_RES: RegExp[] = [
  new RegExp(`\\b(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?\\b`, 'gi'),
  new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?:${MONTHS})\\.?(?:,?\\s+\\d{4})?\\b`, 'gi'),
  new RegExp(`\\b(?:${MONTHS})\\.?\\s+(?:of\\s+)?\\d{4}\\b`, 'gi'),
  /\b\d{4}-\d{2}-\d{2}\b/g,
  /\b(?:1[0-9]{3}|20[0-9]{2})s?\b/g,
  /\b(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first)\s+century\b/gi,
  new RegExp(`\\b(?:${DAYS})\\b`, 'gi'),
  // month names alone only when capitalised ("in May", not "may")
  /\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b/g,
  /\b(?:spring|summer|autumn|fall|winter)\s+(?:of\s+)?\d{4}\b/gi,
  /\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?/gi,
];

const CURRENCY = '(?:[$¥€£₹₩]|US\\$|HK\\$|RMB|USD|EUR|GBP|CNY|JPY)';
const MONEY_RES: RegExp[] = [
  new RegExp(`${CURRENCY}\\s?\\d[\\d,.]*(?:\\s?${MAGNITUDE})?\\+?`, 'gi'),
  new RegExp(`\\b\\d[\\d,.]*(?:\\s?${MAGNITUDE})?\\s?(?:dollars|euros|pounds|yuan|yen|rupees|won|francs|marks|pesos|usd|eur|rmb)\\b`, 'gi'),
  new RegExp(`\\b(?:${NUMBER_WORDS})\\s+(?:${MAGNITUDE}\\s+)?(?:dollars|euros|pounds|yuan|yen)\\b`, 'gi'),
];
const PERCENT_RES: RegExp[] = [/\b\d[\d,.]*\s?(?:%|percent\b|per cent\b|percentage points?\b)/gi, /\b(?:one|two|three|four|five|ten|twenty|fifty)[- ]?(?:percent|per cent)\b/gi];
const NUMBER_RES: RegExp[] = [
  new RegExp(`(?<![\\p{L}\\d.,])\\d[\\d,]*(?:\\.\\d+)?(?:\\s?${MAGNITUDE})?\\+?`, 'giu'),
  new RegExp(`\\b(?:${NUMBER_WORDS})\\b`, 'gi'),
];

/** Capitalised words that start a clause or name no one: never a name candidate on their own. */
const NOT_NAMES = new Set(
  'i a an the this that these those it its he she they we you his her their our my your there here what when where who why how which if in on at by for of to and or but as with from after before during while since until although though however also so thus then yes no not all some many most one two three first last new according'.split(' '),
);
const NAME_RE = /\p{Lu}[\p{L}\p{N}’'&.-]*(?:\s+(?:(?:of|de|del|la|le|von|van|da|du|bin|al|the|and|&)\s+)?\p{Lu}[\p{L}\p{N}’'&.-]*)*/gu;

function collect(text: string, kind: CandidateKind, res: RegExp[], out: Candidate[]): void {
  for (const re of res) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) out.push({ kind, text: m[0].trim(), index: m.index ?? 0 });
  }
}

/** Every date, number, amount, percentage and name in `text`. */
function findCandidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  collect(text, 'date', DATE_RES, out);
  collect(text, 'money', MONEY_RES, out);
  collect(text, 'percentage', PERCENT_RES, out);
  // a number that is part of a date is the date's, not a count
  const dated = out.filter((c) => c.kind === 'date').map((c) => [c.index, c.index + c.text.length] as const);
  const nums: Candidate[] = [];
  collect(text, 'number', NUMBER_RES, nums);
  for (const n of nums) {
    const inDate = dated.some(([a, b]) => n.index >= a && n.index < b);
    const isYear = /^(1[0-9]{3}|20[0-9]{2})$/.test(n.text);
    const isHeadingNumber = /^\d{1,2}$/.test(n.text) && /^\s*$/.test(text.slice(0, n.index)) && /^[.)]\s/.test(text.slice(n.index + n.text.length));
    if (!inDate && !isYear && !isHeadingNumber) out.push(n);
  }
  for (const m of text.matchAll(NAME_RE)) {
    const first = m[0].split(/\s+/)[0].toLowerCase().replace(/[’'.]+$/, '');
    const words = m[0].split(/\s+/);
    if (words.length === 1 && NOT_NAMES.has(first)) continue;
    if (words.length === 1 && m[0].length < 2) continue;
    // a capitalised word at the start of a sentence is a name only if more capitals follow it
    const at = m.index ?? 0;
    const sentenceStart = /(^|[.!?:;—–-]\s*|["“(]\s*)$/.test(text.slice(Math.max(0, at - 3), at)) || at === 0;
    if (sentenceStart && words.length === 1) continue;
    out.push({ kind: 'name', text: m[0].replace(/[’']s$/, ''), index: at });
  }
  return out;
}

const FOLD = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * Candidates of the wanted kinds whose words are not all in the question: an answer must say
 * something the question does not ("Who is the CEO of Alibaba?" is not answered by "Alibaba").
 */
export function newCandidates(text: string, kinds: readonly CandidateKind[], questionWords: ReadonlySet<string>): Candidate[] {
  if (kinds.length === 0) return [];
  return findCandidates(text).filter((c) => {
    if (!kinds.includes(c.kind)) return false;
    const ws = FOLD(c.text).match(/[\p{L}\p{N}]+/gu) ?? [];
    return ws.some((w) => !questionWords.has(w) && !NOT_NAMES.has(w));
  });
}
