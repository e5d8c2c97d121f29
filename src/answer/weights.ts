/**
 * Every tuning constant of the extractive reader, in one place. `npm run eval -- --calibrate`
 * varies the thresholds; the README's "Reader" section says how each was chosen. Nothing here
 * names a word of any question: the constants weigh kinds of evidence, not wordings.
 */
export interface ReaderWeights {
  /** Soft matches: word-vector cosine where credit starts (antonyms and co-topical words sit near 0.5–0.6). */
  softFrom: number;
  /** Credit of a soft match at cosine 1 (an exact match earns 1). */
  softMax: number;
  /** Credit of a question term found not in the unit itself but in its context. */
  contextMatch: number;
  headingMatch: number;
  previousMatch: number;
  /** Weight of a term no document contains, as a fraction of the corpus's largest IDF. */
  absentTermIdf: number;
  /** A term's weight is IDF × (floor + (1 − floor) × general-English specificity). */
  specificityFloor: number;
  /** support = coverage × this + dense sentence similarity × (1 − this). */
  coverageShare: number;
  /** Bonus to the ranking score of a unit that holds a candidate of the expected type. */
  typeBonus: number;
  /** Bonus for the retrieval rank of the unit's chunk: bonus / rank. */
  rankBonus: number;
  /** Units longer than this many characters lose score in proportion (answers should be short). */
  lengthFree: number;
  lengthPenalty: number;
  /** Answer threshold for a question whose answer type is strict (a date, number, name …). */
  typedThreshold: number;
  /** Support at which a question with a strict type is answered even without a candidate of that type ("When does X occur?" answered by a clause). */
  strongSupport: number;
  /** A further unit joins the answer only when it scores at least this fraction of the best. */
  companionRatio: number;
  /** Add the sentence after the answer (same paragraph, short) to a question without a strict type. */
  nextSentence: boolean;
  /** Most units an answer is made of (besides a sentence the first one leans on). */
  maxUnits: number;
  /** A subject term absent from the documents is an ordinary paraphrase word when some document word is this close. */
  synonymCosine: number;
  /** A question word is name-like in lowercase questions when the documents capitalise it this often. */
  nameCapRatio: number;
  /** Typo correction: the corrected word must be this much more common in English than the typed one. */
  correctionSpecificityGap: number;
  /**
   * Typo correction: a typed word at least this common in English (specificity below it: about
   * the 8,000 most common words) is taken as meant ("head" is not a typo of "had").
   */
  correctionMinSpecificity: number;
}

export const DEFAULT_WEIGHTS: ReaderWeights = {
  softFrom: 0.65,
  softMax: 0.8,
  contextMatch: 0.8,
  headingMatch: 0.6,
  previousMatch: 0.5,
  absentTermIdf: 0.5,
  specificityFloor: 0.3,
  coverageShare: 0.75,
  typeBonus: 0.1,
  rankBonus: 0.04,
  lengthFree: 220,
  lengthPenalty: 0,
  typedThreshold: 0.3,
  strongSupport: 0.75,
  companionRatio: 0.75,
  maxUnits: 3,
  nextSentence: true,
  synonymCosine: 0.8,
  nameCapRatio: 0.8,
  correctionSpecificityGap: 0.15,
  correctionMinSpecificity: 0.7,
};
