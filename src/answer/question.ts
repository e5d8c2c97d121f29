import type { Result } from '../types.js';

export type QuestionErrorCode = 'QUESTION_EMPTY' | 'QUESTION_TOO_LONG';

/**
 * Cleans a question before it reaches retrieval: control, zero-width and bidi characters are
 * removed, Discord mention syntax is neutralised to plain words, whitespace is folded.
 */
export function cleanQuestion(raw: string, maxChars: number): Result<string, QuestionErrorCode> {
  let q = raw
    .normalize('NFKC')
    .replace(/[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, ' ');
  // repeat until nothing changes: removing one mention must not assemble another ("@@everyone")
  for (let prev = ''; prev !== q; ) {
    prev = q;
    q = q.replace(/<@[!&]?\d+>|<#\d+>|<a?:\w+:\d+>/g, ' ').replace(/@+(everyone|here)/gi, '$1');
  }
  q = q.replace(/\s+/g, ' ').trim();
  if (!/[\p{L}\p{N}]/u.test(q)) {
    return { ok: false, code: 'QUESTION_EMPTY', message: 'Please ask a question in words, e.g. "What is Wukong?"' };
  }
  if (q.length > maxChars) {
    return { ok: false, code: 'QUESTION_TOO_LONG', message: `That question is ${q.length} characters long; the limit is ${maxChars} (DOCENT_MAX_QUESTION_CHARS). Please shorten it.` };
  }
  return { ok: true, value: q };
}
