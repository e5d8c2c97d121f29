/**
 * Links that scroll to the quoted sentence: a citation of a web page links to
 * `<url>#:~:text=<quote>` (the Text Fragments spec, https://wicg.github.io/scroll-to-text-fragment/),
 * which Chromium, Safari and Firefox browsers highlight and scroll to. A short quote is matched
 * exactly; a long one as `textStart,textEnd`, a few words of its start and of its end, which
 * stays short and still matches across paragraphs and list items.
 */
import type { Citation } from '../types.js';

/** Knobs of the fragment: exact up to this many words (one line), else this many words at each end. */
const TEXT_FRAGMENT = { maxExactWords: 12, edgeWords: 5 } as const;

/**
 * A text directive value: percent-encoded, and `-`, `&` and `,` too (they are the directive's own
 * syntax: prefix/suffix marks, directive and parameter separators); so are `!'()*`, which
 * `encodeURIComponent` leaves and a Markdown link or a chat client could take for syntax.
 */
export function encodeTextDirective(text: string): string {
  return encodeURIComponent(text).replace(/[-!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The quote as a browser shows it on the page: the Markdown marks Docent's stored text adds to
 * lines (headings, list bullets, quote marks, table pipes) dropped, whitespace collapsed.
 */
function visibleLines(quote: string): string[] {
  return quote
    .split('\n')
    .map((l) => l.replace(/^\s*(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)/, '').replace(/^\s*\|?\s*-{3,}[-|\s:]*$/, '').replace(/\s*\|\s*/g, ' ').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

/** `#:~:text=…` for `quote` (without the `#`), or null when nothing visible is left. */
export function textFragment(quote: string): string | null {
  const lines = visibleLines(quote);
  if (!lines.length) return null;
  const words = lines.join(' ').split(' ');
  if (lines.length === 1 && words.length <= TEXT_FRAGMENT.maxExactWords) return `:~:text=${encodeTextDirective(lines[0])}`;
  const first = lines[0].split(' ');
  const last = lines[lines.length - 1].split(' ');
  const n = TEXT_FRAGMENT.edgeWords;
  // the start and the end are each taken from one line: a match runs across blocks, a term does not
  const start = first.slice(0, n).join(' ');
  const end = lines.length === 1 ? first.slice(Math.max(n, first.length - n)).join(' ') : last.slice(-n).join(' ');
  return `:~:text=${encodeTextDirective(start)},${encodeTextDirective(end)}`;
}

const DISCORD_HOSTS = /^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/i;

/**
 * The link a citation shows: its document's URL, with a text fragment for the quote when that is
 * an http(s) page (not a Discord message link, which has no text to scroll to); undefined when the
 * document has no URL.
 */
export function citationLink(c: Pick<Citation, 'url' | 'quote'>): string | undefined {
  if (!c.url) return undefined;
  let u: URL;
  try {
    u = new URL(c.url);
  } catch {
    return c.url;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || DISCORD_HOSTS.test(u.hostname)) return c.url;
  const fragment = textFragment(c.quote);
  if (!fragment) return c.url;
  // a URL that has a fragment keeps it: the directive follows it (`#section:~:text=…`)
  const base = u.hash ? u.href.replace(/:~:.*$/, '') : `${u.href.replace(/#$/, '')}#`;
  return `${base}${fragment}`;
}
