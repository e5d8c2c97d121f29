import { renderRefusal } from '../../src/answer/refusal.js';
import type { Refusal } from '../../src/types.js';
import { describe, expect, it } from 'vitest';
import { citationField, LIMITS, parseVoteId, renderAnswer, renderReport, renderSources, sourceEmbeds, truncate, voteButtons } from '../../src/discord/format.js';
import { addSecret } from '../../src/log.js';
import type { AnswerResult, Citation } from '../../src/types.js';

const cite = (n: number, quote = 'A quoted line.'): Citation => ({
  n,
  source: `docs/doc-${n}.md`,
  title: `Document ${n}`,
  section: 'Part › Chapter',
  lines: [n, n + 2],
  quote,
  chunkId: `c${n}`,
});

const result = (over: Partial<AnswerResult>): AnswerResult => ({
  question: 'q',
  answered: true,
  answer: 'Answer [1].',
  citations: [cite(1)],
  retrieved: [],
  closest: [],
  generation: 'g1',
  ms: 1,
  ...over,
});

describe('format', () => {
  it('truncate cuts at a word boundary and adds an ellipsis', () => {
    expect(truncate('hello wonderful world', 12)).toBe('hello…');
    expect(truncate('short', 12)).toBe('short');
  });

  it('a citation field shows title, section, source, line range and the quote, within 1,024 characters', () => {
    expect(citationField(cite(2))).toEqual({ name: '[2] Document 2', value: '§ Part › Chapter\n`docs/doc-2.md` · lines 2–4\n> A quoted line.' });
    const long = citationField(cite(3, 'word '.repeat(600)));
    expect(long.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    expect(long.value).toMatch(/…$/);
    const multiline = citationField(cite(4, Array.from({ length: 300 }, (_, i) => `l${i}`).join('\n')));
    expect(multiline.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
  });

  it('source embeds keep to 25 fields and 6,000 characters each', () => {
    const embeds = sourceEmbeds(Array.from({ length: 40 }, (_, i) => cite(i + 1, 'q '.repeat(450))));
    expect(embeds.length).toBeGreaterThan(1);
    for (const e of embeds) {
      expect(e.fields!.length).toBeLessThanOrEqual(LIMITS.fields);
      const size = (e.title?.length ?? 0) + e.fields!.reduce((n, f) => n + f.name.length + f.value.length, 0);
      expect(size).toBeLessThanOrEqual(LIMITS.total);
    }
    expect(embeds.flatMap((e) => e.fields!).length).toBe(40);
  });

  it('renderAnswer puts the sources and the vote buttons on the last message', () => {
    const msgs = renderAnswer(result({ answer: ('Sentence number one is here. '.repeat(100) + '[1]').trim() }), 'abc123');
    expect(msgs.length).toBe(2);
    expect(msgs[0].embeds).toBeUndefined();
    expect(msgs[1].embeds?.[0].fields?.[0].name).toBe('[1] Document 1');
    expect(msgs[1].components).toEqual([voteButtons('abc123')]);
  });

  it('an unanswered result says so once and lists the closest sources once, from the structured refusal', () => {
    const refusal: Refusal = { reason: 'no-answer', missing: [], closest: [{ source: 'a.md', title: 'A', section: 'S', lines: [1, 2] }] };
    const [m] = renderAnswer(result({ answered: false, answer: renderRefusal(refusal), citations: [], closest: refusal.closest, refusal }), 'x');
    expect(m.content).toBe("I couldn't find an answer to that in the indexed documents.\n\n**Closest sources:**\n• A — S (`a.md`, lines 1–2)");
    expect(m.embeds).toBeUndefined();
  });

  it('a refusal for an unknown subject names it once', () => {
    const refusal: Refusal = { reason: 'unknown-subject', missing: ['apple'], closest: [{ source: 'a.md', title: 'A', section: '', lines: [3, 3] }] };
    const [m] = renderAnswer(result({ answered: false, answer: renderRefusal(refusal), citations: [], closest: refusal.closest, refusal }), 'x');
    expect(m.content.match(/couldn't find/g)).toHaveLength(1);
    expect(m.content).toContain('anything about apple');
    expect(m.content.match(/a\.md/g)).toHaveLength(1);
  });

  it('vote ids round-trip and reject anything else', () => {
    expect(parseVoteId('docent:vote:up:abc123')).toEqual({ vote: 'up', answerId: 'abc123' });
    expect(parseVoteId('docent:vote:maybe:abc')).toBeNull();
    expect(parseVoteId('other')).toBeNull();
  });

  it('renderReport lists what changed and the time', () => {
    const text = renderReport('Re-index', { generation: 'g2', added: ['a.md'], changed: [], removed: ['b.md'], unchanged: ['c.md'], skipped: [{ source: 'x.bin', code: 'UNSUPPORTED', message: 'not a document' }], chunks: 9, embedded: 3, noChange: false, ms: 1234 });
    expect(text).toBe(
      'Re-index: done in 1.2 s — index generation `g2`, 9 chunks (3 embedded).\n• Added: 1 (`a.md`)\n• Changed: 0\n• Removed: 1 (`b.md`)\n• Unchanged: 1\n• Skipped: 1\n  – `x.bin`: UNSUPPORTED — not a document',
    );
  });
});

describe('a cited document with a link (front matter url:)', () => {
  it('GIVEN a citation with an https url THEN its Sources field opens with the title as a masked link to it', () => {
    const field = citationField({ ...cite(2), url: 'https://discord.com/channels/1/2/3' });
    expect(field).toEqual({ name: '[2] Document 2', value: '🔗 [Document 2](https://discord.com/channels/1/2/3)\n§ Part › Chapter\n`docs/doc-2.md` · lines 2–4\n> A quoted line.' });
    expect(citationField(cite(2)).value).not.toContain('🔗');
  });

  it('GIVEN a title with brackets, a masked link, a mention and a backslash, and a url with parentheses THEN the link cannot be ended early or forged', () => {
    const title = 'a] [x](https://evil.test) <@&1> \\';
    const field = citationField({ ...cite(1), title, url: 'https://example.test/wiki/A_(b)' });
    const line = field.value.split('\n')[0];
    expect(line).toBe('🔗 [a\uFF3D \uFF3Bx\uFF3D\u200B(https://evil.test) <\u200B@&1> \\](https://example.test/wiki/A_%28b%29#:~:text=A%20quoted%20line.)');
    // exactly one link target, the document's
    expect(line.match(/\]\(/g)).toHaveLength(1);
  });

  it('GIVEN a url that is not http(s) THEN no link is shown', () => {
    expect(citationField({ ...cite(1), url: 'javascript:alert(1)' }).value).not.toContain('🔗');
  });
});

describe('text no human wrote for the message is shown inert', () => {
  const Z = '\u200B';
  const DOC = 'Claim [free Nitro](https://evil.example/claim) now, <@&123456789012345678> and <@!234567890123456789> in <#345678901234567890>; @everyone ||https://evil.example/hidden||.';
  const SHOWN = `Claim [free Nitro]${Z}(https://evil.example/claim) now, <${Z}@&123456789012345678> and <${Z}@!234567890123456789> in <${Z}#345678901234567890>; @${Z}everyone |${Z}|https://evil.example/hidden|${Z}|.`;

  it('GIVEN document text with a masked link, role, user and channel mentions, @everyone and a spoiler THEN the answer and its quote show them as text, not live', () => {
    const [m] = renderAnswer(result({ answer: `${DOC} [1]`, citations: [cite(1, DOC)] }), 'x');
    expect(m.content).toBe(`${SHOWN} [1]`);
    expect(m.embeds?.[0].fields?.[0].value).toBe(`§ Part › Chapter\n\`docs/doc-1.md\` · lines 1–3\n> ${SHOWN}`);
    // nothing Discord would render as a link, mention or spoiler is left
    const live = /\]\(|<[@#]|@everyone|\|\|/;
    expect(m.content).not.toMatch(live);
    expect(m.embeds?.[0].fields?.[0].value).not.toMatch(live);
  });

  it('GIVEN a bot-token-shaped string or a registered key in document text THEN the reply shows [redacted]', () => {
    addSecret('sk-format-test-registered-key');
    const token = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GhOstT.k3y_s3cr3t-ab1234567890xyzXYZ';
    const [m] = renderAnswer(result({ answer: `The token is ${token} and the key sk-format-test-registered-key [1]`, citations: [cite(1, `token ${token}`)] }), 'x');
    expect(m.content).toBe('The token is [redacted] and the key [redacted] [1]');
    expect(m.embeds?.[0].fields?.[0].value).toContain('> token [redacted]');
  });

  it('GIVEN file names and titles with a bidi override, a newline, a backtick and a mention THEN /sources, citations and refusals show them escaped on one line', () => {
    const source = 'invoice\u202Etxt.exe\nfake.md';
    const title = 'Notes `x` <@&123456789012345678>';
    const sources = renderSources([{ source, title, chunks: 2, indexedAt: 'not a date' }]);
    expect(sources).toBe(`**1 document indexed** (2 chunks):\n• **Notes ˋxˋ <${Z}@&123456789012345678>** — \`invoice\\u202Etxt.exe\\nfake.md\` · 2 chunks · indexed not a date`);
    const field = citationField({ ...cite(1), source, title, section: 'Part\u2067 one' });
    expect(field.name).toBe(`[1] Notes ˋxˋ <${Z}@&123456789012345678>`);
    expect(field.value.split('\n').slice(0, 2)).toEqual(['§ Part\\u2067 one', '`invoice\\u202Etxt.exe\\nfake.md` · lines 1–3']);
    const refusal: Refusal = { reason: 'no-answer', missing: [], closest: [{ source, title, section: '', lines: [1, 1] }] };
    const [m] = renderAnswer(result({ answered: false, answer: renderRefusal(refusal), citations: [], closest: refusal.closest, refusal }), 'x');
    expect(m.content.split('\n').at(-1)).toBe(`• Notes ˋxˋ <${Z}@&123456789012345678> (\`invoice\\u202Etxt.exe\\nfake.md\`, line 1)`);
    expect(sources + field.name + field.value + m.content).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });
});
