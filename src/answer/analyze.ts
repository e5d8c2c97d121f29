import { isStopword, stem, words } from '../text/words.js';
import type { CandidateKind } from './candidates.js';
import { correctTypo, type CorpusVocabulary } from './vocabulary.js';
import { DEFAULT_WEIGHTS, type ReaderWeights } from './weights.js';

/**
 * Question analysis: what kind of answer would satisfy the question, what it is about, and what
 * an answer must respect. One pass over the words, case-insensitive (community members type in
 * lowercase), after correcting words no document uses toward ones they do.
 */
export type AnswerType =
  | 'person'
  | 'organisation'
  | 'place'
  | 'date'
  | 'number'
  | 'money'
  | 'percentage'
  | 'definition'
  | 'reason'
  | 'list'
  | 'comparison'
  | 'yesno'
  | 'name'
  | 'description';

export interface FocusTerm {
  /** The word as the question has it (after typo correction), lowercased. */
  word: string;
  stem: string;
  /** Does any document contain it? */
  known: boolean;
  /** Looks like a name: capitalised in the question, or capitalised where the documents use it. */
  name: boolean;
}

export interface QuestionAnalysis {
  /** `en`, or `other` for a question the offline reader cannot read. */
  language: 'en' | 'other';
  type: AnswerType;
  /** Kinds of candidate an answer must hold (empty: the type is not one a candidate can show). */
  needs: CandidateKind[];
  /** Content words the answer must be about (answer-type words such as "year" removed). */
  focus: FocusTerm[];
  /** What the question is about: the words of its subject slot ("apple" in "what did apple announce"). */
  subject: string[];
  /** Subject words and names that no document mentions: the reader says it found nothing about them. */
  missing: string[];
  /** Years and numbers the answer's passage must mention, and names it should. */
  constraints: { years: string[]; numbers: string[]; names: string[] };
  corrections: Array<{ from: string; to: string }>;
  /** "the three pillars" → 3 (a list question that says how many). */
  listSize: number | null;

  /** For "how many X" / "how much X": the noun counted (an answer's number should be about it). */
  counted: string | null;
  /** "Which battle …", "What sea …": the noun the answer is an instance of (often part of its name: "Battle of Dalan Balzhut"). */
  kind: string | null;
  /**
   * A how-to question asked for oneself ("how do I export …", "how to reset …", "what is the best
   * way to install …"): what the asker wants to do. A passage that never speaks of doing it does
   * not say how, however much of the rest it mentions.
   */
  action: string | null;
  /** The question with typos corrected (what retrieval and scoring use). */
  text: string;
}

export interface AnalysisContext {
  vocab: CorpusVocabulary;
  /** Documents containing a stemmed term. */
  df(stemmed: string): number;
  /** 0 (common English) … 1 (rare or unknown); absent without word vectors. */
  specificity?: (word: string) => number;
  /** Closest cosine between `word` and any document word (absent without word vectors). */
  nearestDocumentWord?: (word: string) => number;
  weights?: ReaderWeights;
}

/** Verbs too general to say what a how-to question wants done ("how do I use …", "how can I get …"). */
const LIGHT_VERBS = new Set('use get make do have go find know learn see tell start work help'.split(' '));
const AUX = new Set('is are was were be been do does did has have had will would can could should shall may might must'.split(' '));
const DO_SUPPORT = new Set('do does did will would can could should shall may might must has have had'.split(' '));
const WH = new Set('what which who whom whose when where why how'.split(' '));
const DETERMINERS = new Set('the a an this that these those its their his her our your my some any each every'.split(' '));
const NUMBER_WORDS: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };

/** Nouns that name the kind of answer, not its subject ("what year", "the reason"). */
const TYPE_NOUNS: Record<string, AnswerType> = {
  year: 'date', date: 'date', month: 'date', day: 'date', time: 'date', century: 'date', decade: 'date', era: 'date', period: 'date', season: 'date',
  percentage: 'percentage', percent: 'percentage', proportion: 'percentage', share: 'percentage', fraction: 'percentage', rate: 'percentage',
  price: 'money', cost: 'money', budget: 'money', salary: 'money', fee: 'money', worth: 'money', revenue: 'money', value: 'money',
  number: 'number', amount: 'number', population: 'number', size: 'number', length: 'number', distance: 'number', age: 'number', count: 'number', total: 'number',
  reason: 'reason', purpose: 'reason', motivation: 'reason', goal: 'reason', idea: 'reason', aim: 'reason', point: 'reason', rationale: 'reason', cause: 'reason', motive: 'reason', logic: 'reason',
  country: 'place', city: 'place', state: 'place', town: 'place', region: 'place', place: 'place', location: 'place', continent: 'place', province: 'place', county: 'place', island: 'place', nation: 'place', capital: 'place', venue: 'place', area: 'place',
  company: 'organisation', organization: 'organisation', organisation: 'organisation', firm: 'organisation', business: 'organisation', team: 'organisation', group: 'organisation', agency: 'organisation', university: 'organisation', school: 'organisation', party: 'organisation', brand: 'organisation', club: 'organisation', institution: 'organisation', unit: 'organisation', service: 'organisation', platform: 'organisation', app: 'organisation', model: 'organisation', product: 'organisation', tool: 'organisation',
  person: 'person', man: 'person', woman: 'person', individual: 'person', leader: 'person', founder: 'person', player: 'person', author: 'person', writer: 'person', scientist: 'person', king: 'person', queen: 'person', president: 'person', ceo: 'person', chairman: 'person', director: 'person', emperor: 'person', ruler: 'person', artist: 'person', composer: 'person', architect: 'person',
};
/**
 * Types whose nouns stay in the focus: "which platform" is both the kind of answer and part of
 * what is asked, and so is "what revenue did Alibaba report" (the revenue, not any amount).
 */
const TYPE_NOUN_IS_FOCUS = new Set<AnswerType>(['organisation', 'person', 'place', 'money']);

const NEEDS: Partial<Record<AnswerType, CandidateKind[]>> = {
  name: ['name'],
  organisation: ['name'],
  date: ['date'],
  number: ['number', 'money', 'percentage'],
  money: ['money', 'number'],
  percentage: ['percentage', 'number'],
};

/** Function words of languages the offline reader does not read (a question of them and no English is not English). */
const FOREIGN = new Set(
  'qué que cuál cuáles cómo como dónde cuándo cuánto cuántos por para es el la los las del una unos quién quien est le les des une qui quoi comment pourquoi où quand combien der die das ist wer was wie warum wann wo und ein eine nicht é um uma quem onde quando porque il lo gli che cosa chi perché dove quanto sono'.split(' '),
);
const ENGLISH = new Set('what which who whom whose when where why how is are was were do does did the a an of in on to and for with by from about can could has have will would should tell me list name explain describe'.split(' '));

function detectLanguage(q: string): 'en' | 'other' {
  const letters = q.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return 'en';
  const latin = letters.filter((c) => /\p{Script=Latin}/u.test(c)).length;
  if (latin / letters.length < 0.5) return 'other';
  const ws = q.toLowerCase().match(/\p{L}+/gu) ?? [];
  const en = ws.filter((w) => ENGLISH.has(w) && !FOREIGN.has(w)).length;
  const foreign = ws.filter((w) => FOREIGN.has(w) && !ENGLISH.has(w)).length;
  if (/[¿¡]/.test(q) && en === 0) return 'other';
  return foreign > en && foreign >= 1 ? 'other' : 'en';
}

interface Token {
  raw: string;
  lower: string;
  index: number;
}

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  for (const m of q.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’.\-]*/gu)) {
    const raw = m[0].replace(/[’']s$/, '').replace(/\.$/, '');
    out.push({ raw, lower: raw.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase(), index: m.index ?? 0 });
  }
  return out;
}

function typeOf(lw: string[], text: string, clauseStart = 0): { type: AnswerType; typeWordAt: number | null } {
  const s = lw.join(' ');
  const first = lw[0] ?? '';
  const wh = lw.findIndex((w, i) => i >= clauseStart && WH.has(w));
  // the noun that follows "what/which" (skipping an adjective or two) may name the kind of answer
  const nounAfterWh = (): number | null => {
    if (wh < 0 || !['what', 'which'].includes(lw[wh])) return null;
    // "what is the reason …", "what was the price of …": the noun after a copula and a determiner
    const first = AUX.has(lw[wh + 1] ?? '') && DETERMINERS.has(lw[wh + 2] ?? '') ? wh + 3 : wh + 1;
    for (let i = first; i < Math.min(lw.length, first + 3); i++) {
      if (AUX.has(lw[i])) return null;
      const n = lw[i].replace(/(ies)$/, 'y').replace(/s$/, '');
      if (TYPE_NOUNS[n] || TYPE_NOUNS[lw[i]]) return i;
    }
    return null;
  };
  if (AUX.has(first) && !/\bor\b/.test(s)) return { type: 'yesno', typeWordAt: null };
  if (/\b(compare[ds]?|comparison|differ|differs|differ(ence|ences|ent)|versus|vs|contrast|similarit(y|ies)|better than|worse than)\b/.test(s)) return { type: 'comparison', typeWordAt: null };
  if (/^(list|name|enumerate|give me)\b/.test(s) || /\b(what|which) (kinds?|types?|sorts?) of\b/.test(s)) return { type: 'list', typeWordAt: null };
  // "what are the (three) pillars": several things; "what are the most powerful class of …": one
  const are = /\bwhat are the ((?:\w+ ){0,3}?)(\w+)(?: (of|in|for|that|which|to|on)\b|$)/.exec(s);
  if (are && (/\b(two|three|four|five|six|seven|eight|nine|ten|\d+|main|key)\b/.test(are[1]) || /[^su]s$/.test(are[2]))) return { type: 'list', typeWordAt: null };
  // "what is the name of …" wants a name
  if (/\bwhat (is|was|are|were) the names? of\b/.test(s)) return { type: 'name', typeWordAt: lw.indexOf('name') >= 0 ? lw.indexOf('name') : lw.indexOf('names') };
  // the question word that leads decides, not one in a clause ("What sea … when he died?")
  const q = wh >= 0 ? lw.slice(wh).join(' ') : s;
  if (/^when\b/.test(q) || /^how long ago\b/.test(q)) return { type: 'date', typeWordAt: null };
  if (/^why\b|^how come\b/.test(q) || /\bfor what reason\b/.test(s)) return { type: 'reason', typeWordAt: null };
  if (/^how (many|much|long|far|old|large|big|tall|high|often|fast|heavy|deep|wide|frequently)\b/.test(q)) {
    const m = /\bhow much\b/.test(s);
    if (m && /\b(cost|costs|pay|paid|spend|spent|earn|earned|invest|invested|raise|raised|charge|charged|worth|money|revenue|funding|budget|price)\b/.test(s)) return { type: 'money', typeWordAt: null };
    return { type: 'number', typeWordAt: null };
  }
  if (/^where\b/.test(q)) return { type: 'place', typeWordAt: null };
  // "what does a seat cost", "what did Alibaba spend on data centres", "what is Alibaba investing in AI"
  // (a copula only with the -ing form: "what is the rate of change of electric charge" is no price)
  if (/^(what|how much) ((does|do|did|will|would|could) .+ (cost|charge|pay|earn|spend|invest)|(is|are|was|were) .+ (charging|paying|earning|spending|investing))( (on|in|for|into) .+)?$/.test(s)) return { type: 'money', typeWordAt: null };
  const at = nounAfterWh();
  if (at !== null) {
    const n = lw[at].replace(/(ies)$/, 'y').replace(/s$/, '');
    const t = TYPE_NOUNS[n] ?? TYPE_NOUNS[lw[at]];
    // a plural kind ("which businesses", "what companies") asks for several
    if (/[^s]s$/.test(lw[at]) && ['organisation', 'person', 'place'].includes(t)) return { type: 'list', typeWordAt: null };
    return { type: t, typeWordAt: TYPE_NOUN_IS_FOCUS.has(t) ? null : at };
  }
  if (/^(whom|whose)\b|\b(by|to|for|with) whom\b/.test(q)) return { type: 'person', typeWordAt: null };
  if (/^who\b/.test(q)) {
    // "who is Eddie Wu?" asks what someone is; "who is the CEO?" asks for a name
    const m = /\bwho (is|was|are|were) (.+)$/.exec(s);
    // …but "who is Alibaba's chief executive?" asks for the one who holds a role
    const role = m ? /\bwho (is|was|are|were) .*\w['’]s\b/i.test(text) || TYPE_NOUNS[m[2].replace(/[?.!\s]+$/, '').split(/\s+/).pop() ?? ''] === 'person' : false;
    if (m && !/^(the|a|an)\b/.test(m[2]) && !role) return { type: 'definition', typeWordAt: null };
    return { type: 'person', typeWordAt: null };
  }
  if (/^(what|which) (is|are|was|were) /.test(s) && lw.length <= 8) {
    // "what is the reason …" was caught above; "what is X" asks for a definition
    return { type: 'definition', typeWordAt: null };
  }
  if (/\bwhat (does|do|did) .+ (mean|stand for)\b|^define\b|^(tell me|explain|describe)\b|\bwhat (does|do) .+ do$/.test(s)) return { type: 'definition', typeWordAt: null };
  // which/what + plural noun ("which agent frameworks belong to …") asks for several
  if (/^(which|what) (\w+ )?\w+[^s']s\b/.test(s) && !AUX.has(lw[1] ?? '') && wh === 0) return { type: 'list', typeWordAt: null };
  // keyword questions ("qwen app launch date") say what they want with a type noun
  if (wh < 0) {
    for (let i = lw.length - 1; i >= 0; i--) {
      const t = TYPE_NOUNS[lw[i]];
      if (t && !TYPE_NOUN_IS_FOCUS.has(t)) return { type: t, typeWordAt: i };
    }
  }
  void text;
  return { type: 'description', typeWordAt: null };
}

/**
 * Words of the subject slot: after the auxiliary of "what did X announce" / "what is X" / "who is
 * X", the noun phrase the question is about (the final verb of a do-question excluded).
 */
function subjectSlot(lw: string[]): { words: string[]; bare: boolean } {
  const wh = lw.findIndex((w) => WH.has(w));
  const start = wh >= 0 ? wh + 1 : 0;
  let aux = -1;
  for (let i = start; i < Math.min(lw.length, start + 3); i++) {
    if (AUX.has(lw[i])) {
      aux = i;
      break;
    }
  }
  if (aux < 0) {
    const m = /^(tell me about|what about|define|explain|describe)$/.test(lw.slice(0, 3).join(' ')) ? 3 : /^(define|explain|describe)$/.test(lw[0] ?? '') ? 1 : -1;
    if (m < 0) return { words: [], bare: false };
    return { words: lw.slice(m).filter((w) => !isStopword(w)), bare: true };
  }
  let span = lw.slice(aux + 1);
  const cut = span.findIndex((w, i) => i > 0 && (isStopword(w) || w === 'to') && !DETERMINERS.has(w));
  if (cut > 0) span = span.slice(0, cut);
  const bare = span.length > 0 && !DETERMINERS.has(span[0]);
  if (DO_SUPPORT.has(lw[aux]) && span.length >= 2 && aux + 1 + span.length === lw.length) span = span.slice(0, -1);
  return { words: span.filter((w) => !isStopword(w)), bare };
}

export function analyzeQuestion(question: string, ctx: AnalysisContext): QuestionAnalysis {
  const W = ctx.weights ?? DEFAULT_WEIGHTS;
  const language = detectLanguage(question);
  const tokens = tokenize(question);
  const spec = ctx.specificity;
  const known = (w: string) => words(w).some((x) => isStopword(x) || ctx.df(stem(x)) > 0);

  // typo correction: a word no document uses, close to one they do (or to a function word)
  const corrections: Array<{ from: string; to: string }> = [];
  for (const t of tokens) {
    if (isStopword(t.lower) || known(t.lower) || /\d/.test(t.lower)) continue;
    // a correction must be more common in English than the typed word, unless the typed word is
    // known nowhere (spec 1: not in the word table either), as a misspelt name is ("Geegen" → "gegeen")
    // and a word as common as "head" is what was meant, not a typo of a document word ("had")
    if (spec && spec(t.lower) < W.correctionMinSpecificity) continue;
    const fixed = correctTypo(t.lower, ctx.vocab, (cand) => !spec || spec(t.lower) >= 1 || spec(t.lower) - spec(cand) >= W.correctionSpecificityGap);
    if (fixed) {
      corrections.push({ from: t.lower, to: fixed });
      t.lower = fixed;
    }
  }
  const lw = tokens.map((t) => t.lower);
  const text = corrections.length ? lw.join(' ') + (/\?\s*$/.test(question) ? '?' : '') : question;

  // "When imperialism changes a state's norms, what is it called?": the question is the last clause
  const comma = question.lastIndexOf(',');
  const afterComma = comma < 0 ? -1 : tokens.findIndex((t) => t.index > comma);
  const clauseStart = afterComma >= 0 && lw.slice(afterComma).some((w) => WH.has(w)) ? afterComma : 0;
  const { type, typeWordAt } = typeOf(lw, question, clauseStart);
  const counted = (() => {
    const m = /\bhow (?:many|much) (\w+)/.exec(lw.join(' '));
    return m && !AUX.has(m[1]) ? m[1] : null;
  })();
  const kind = (() => {
    const m = /^(?:what|which) (\w+)(?: (\w+))? (?:did|does|do|was|were|is|are|has|have|had|\w+ed)\b/.exec(lw.join(' '));
    if (!m) return null;
    const noun = m[2] ?? m[1];
    return TYPE_NOUNS[noun] || isStopword(noun) || noun.length < 3 ? null : noun;
  })();
  const action = (() => {
    const m = /^(?:how (?:do|can|could|should|would|may|might) (?:i|we|you|one)|how to|how does one|(?:what is|what's) the (?:best |right |easiest |fastest )?way to) (\w+)/.exec(lw.join(' '));
    return m && !isStopword(m[1]) && !AUX.has(m[1]) && !LIGHT_VERBS.has(m[1]) ? m[1] : null;
  })();
  const listSize = (() => {
    for (const w of lw) {
      if (NUMBER_WORDS[w]) return NUMBER_WORDS[w];
      if (/^\d{1,2}$/.test(w) && Number(w) >= 2) return Number(w);
    }
    return null;
  })();

  // focus: content words, minus the ones that name the kind of answer
  const focus: FocusTerm[] = [];
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    if (i === typeWordAt) return;
    for (const w of words(t.lower)) {
      if (isStopword(w) || (i > 0 && lw[i - 1] === 'how' && /^(many|much|long|far|old|large|big|tall|high|often|fast|heavy|deep|wide|frequently)$/.test(w))) continue;
      const st = stem(w);
      if (seen.has(st)) continue;
      seen.add(st);
      const capitalisedHere = i > 0 && /^\p{Lu}/u.test(t.raw) && !corrections.some((c) => c.to === t.lower);
      const name = capitalisedHere || ctx.vocab.capitalised(w) >= W.nameCapRatio;
      focus.push({ word: w, stem: st, known: ctx.df(st) > 0, name });
    }
  });

  // what the question is about, and which of it no document mentions
  const slot = subjectSlot(lw);
  const subject = slot.words;
  const missing: string[] = [];
  const isOrdinary = (w: string) => (ctx.nearestDocumentWord ? ctx.nearestDocumentWord(w) >= W.synonymCosine : false);
  // names: capitalised words of four letters or more (not acronyms, not the first word)
  tokens.forEach((t, i) => {
    if (i === 0 || !/^\p{Lu}\p{Ll}/u.test(t.raw) || t.raw.length < 4) return;
    if (corrections.some((c) => c.to === t.lower)) return;
    if (!known(t.lower)) missing.push(t.raw);
  });
  // a lowercase subject that is entirely unknown, bare ("did apple …", not "did the …") and has
  // no near-synonym in the documents is a name the documents do not have
  const subjectUnknown = subject.length > 0 && subject.every((w) => !known(w));
  if (slot.bare && subjectUnknown && subject.length <= 3 && !subject.every(isOrdinary)) {
    for (const w of subject) {
      const orig = tokens.find((t) => t.lower === w)?.raw ?? w;
      if (!missing.some((m) => m.toLowerCase() === w)) missing.push(orig);
    }
  }

  const years = lw.filter((w) => /^(1[0-9]{3}|20[0-9]{2})$/.test(w));
  const numbers = lw.filter((w) => /^\d+([.,]\d+)?$/.test(w) && !years.includes(w) && !(listSize !== null && Number(w) === listSize));
  const names = focus.filter((f) => f.name && f.known).map((f) => f.word);

  return {
    language,
    type,
    // "how long" is answered by a duration or by a date ("well into the nineteenth century")
    needs: /\bhow long\b/.test(lw.join(' ')) ? ['number', 'date'] : (NEEDS[type] ?? []),
    focus,
    subject,
    missing,
    constraints: { years, numbers, names },
    corrections,
    listSize,
    counted,
    action,
    kind,
    text,
  };
}
