/**
 * Inert text: what no human wrote for the message it appears in (document text quoted in an
 * answer, a file name or title, a model's reply, a question echoed to the moderators) is shown
 * as written but cannot act. Discord would otherwise render a masked link `[text](url)` as a
 * link whose target is hidden, a role or user mention `<@&id>` as a pill, and `||…||` as a
 * spoiler that hides what is inside.
 *
 * The rendering inserts a zero-width space (U+200B) where the syntax would be recognised (the
 * convention of discord.js's `cleanContent` for `@everyone`): the text reads the same, copies
 * almost the same, and the result is inert in message content, embeds and code spans alike
 * (a backslash escape would show inside code spans). Every function is idempotent.
 */
const ZWSP = '\u200B';

/**
 * Neutralises mention syntax (`<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `</command:id>`, `<id:guide>`,
 * `@everyone`, `@here`), masked links (`[text](url)`, also `[text](<url>)`) and spoilers (`||`).
 * Other markdown (bold, lists, code) is left as it is; bare URLs stay visible links (their target
 * is what they show).
 */
export function inertText(text: string): string {
  return text
    .replace(/<(?=[@#]|id:|\/[^<>:\n]{1,64}:\d)/g, `<${ZWSP}`)
    .replace(/@(?=everyone|here)/gi, `@${ZWSP}`)
    .replace(/\]\(/g, `]${ZWSP}(`)
    .replace(/\|(?=\|)/g, `|${ZWSP}`);
}

/**
 * `inertText`, and bare URLs no longer links: a zero-width space after the scheme
 * (`https:\u200B//example.com`). For text whose links nobody vouches for (a model's reply).
 */
export function inertLinks(text: string): string {
  return inertText(text).replace(/\b([a-z][a-z0-9+.-]{0,30}):(?=\/\/)/gi, `$1:${ZWSP}`);
}

/**
 * A file name, title or heading shown on one line: control characters (newlines, tabs, escape
 * sequences), bidi overrides and isolates, zero-width and other invisible format characters are
 * shown as visible escapes (`\n`, `\u202E`) instead of reordering or splitting what follows;
 * backticks, which would end the code span a file name is shown in, become `ˋ` (U+02CB); then
 * `inertText`. Apply it once, to the raw name.
 */
export function inertName(name: string): string {
  const visible = name
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => ESCAPES[c] ?? codePoint(c))
    .replace(/`/g, '\u02CB');
  return inertText(visible);
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function codePoint(c: string): string {
  const hex = c.codePointAt(0)!.toString(16).toUpperCase();
  return hex.length <= 4 ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/**
 * A Markdown masked link `[text](url)` to a link Docent vouches for (a document's checked
 * http(s) URL), or null when `url` is not an absolute http(s) URL. The text is `inertName`d, with
 * its brackets shown full-width (［ ］) so it cannot end the link early or open another; in the target,
 * which Discord shows on hover and asks before opening, the parentheses that would end it are
 * percent-encoded (`new URL` has encoded spaces, controls and angle brackets already).
 */
export function maskedLink(text: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  // brackets become their full-width forms: Discord's link pattern does not honour escapes in the text
  const shown = inertName(text).replace(/\[/g, '\uFF3B').replace(/\]/g, '\uFF3D');
  const target = u.href.replace(/\(/g, '%28').replace(/\)/g, '%29');
  return `[${shown}](${target})`;
}
