/**
 * A member's answer saved as a corpus document ("Add to Docent"): the question and the answer as
 * Markdown under `community/`, with front matter (title, who answered, date, the answer message's
 * jump link as `url:`, channel) that citations show. Everything in it is what members typed: the
 * front matter is emitted by the `yaml` package from one-line values (never by concatenation), so
 * no title, name or channel can end it or add a key; control and direction-changing characters
 * are dropped from every field.
 */
import { stringify } from 'yaml';

/** The folder, under the corpus, that holds saved answers. */
export const COMMUNITY_FOLDER = 'community';

export interface CommunityAnswer {
  /** The question's text (the message the answer replies to, or the thread's first post). */
  question: string;
  /** The answer's text. */
  answer: string;
  /** A title for the question (a forum post's or thread's name); else the question's first line. */
  title?: string;
  /** Display name of the member who answered. */
  author: string;
  /** Display name of the member who asked, when known. */
  askedBy?: string;
  /** When the answer was posted. */
  postedAt: Date;
  /** The answer message's jump link. */
  url: string;
  /** The channel's name (for a thread: its parent's). */
  channel: string;
  /** The answer message's id: names the file, so saving it again replaces it. */
  messageId: string;
}

export interface RenderedAnswer {
  /** `<date>-<slug>-<messageId>.md` */
  fileName: string;
  title: string;
  markdown: string;
}

const TITLE_CHARS = 120;
const NAME_CHARS = 100;
const SLUG_CHARS = 50;

/**
 * C0/C1 controls (except tab and newline) and the bidi embeddings, overrides and isolates: dropped.
 * Zero-width joiners stay (emoji sequences need them).
 */
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/** Multi-line text as saved: CRLF → LF, unsafe characters dropped, trailing spaces and blank runs trimmed. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(UNSAFE, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** One line: `cleanText`, then every run of whitespace (newlines too) one space, cut to `max` characters. */
export function cleanLine(text: string, max: number): string {
  const line = cleanText(text).replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** `How do I reset my password?` → `how-do-i-reset-my-password` (ASCII letters and digits; `answer` when none). */
export function slugOf(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .match(/[a-z0-9]+/g);
  let slug = '';
  for (const w of words ?? []) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > SLUG_CHARS) break;
    slug = next;
  }
  return slug || (words?.[0]?.slice(0, SLUG_CHARS) ?? 'answer');
}

/** The saved document: file name, title and Markdown (front matter, then `## Question` and `## Answer`). */
export function renderCommunityAnswer(a: CommunityAnswer): RenderedAnswer {
  const question = cleanText(a.question);
  const answer = cleanText(a.answer);
  const title = cleanLine(a.title?.trim() ? a.title : (question.split('\n').find((l) => l.trim()) ?? ''), TITLE_CHARS) || 'Community answer';
  const date = a.postedAt.toISOString().slice(0, 10);
  const id = a.messageId.replace(/\D/g, '').slice(0, 25) || '0';
  const front: Record<string, string> = {
    title,
    author: cleanLine(a.author, NAME_CHARS) || 'unknown',
    ...(a.askedBy ? { asked_by: cleanLine(a.askedBy, NAME_CHARS) } : {}),
    date,
    url: a.url,
    channel: cleanLine(a.channel, NAME_CHARS) || 'unknown',
    message_id: id,
  };
  // lineWidth 0: one line per value (no folding); every value above is one line already
  const yaml = stringify(front, { lineWidth: 0, minContentWidth: 0 });
  const markdown = `---\n${yaml}---\n\n## Question\n\n${question}\n\n## Answer\n\n${answer}\n`;
  return { fileName: `${date}-${slugOf(title)}-${id}.md`, title, markdown };
}
