/**
 * Support threshold: the best sentence's support (weighted coverage of the question's terms,
 * exact or by word-vector similarity, plus its dense similarity) must reach this for an answer.
 * Calibrated with `npm run eval -- --calibrate` on the dev sets (README: refusal calibration).
 */
export const DEFAULT_THRESHOLD = 0.4;
