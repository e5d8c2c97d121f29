import { describe, expect, it } from 'vitest';
import { inertLinks, inertName, inertText } from '../../../src/text/inert.js';

const Z = '\u200B';
/** What Discord would render as a masked link, mention, spoiler or bare link. */
const LIVE = /\]\(|<[@#]|<\/[^<>:\n]+:\d|<id:|@(everyone|here)|\|\||https?:\/\//i;

describe('inert text', () => {
  it.each([
    ['a masked link', '[discord.gift/nitro](https://evil.example/x)', `[discord.gift/nitro]${Z}(https://evil.example/x)`],
    ['a masked link in angle brackets', '[x](<https://evil.example>)', `[x]${Z}(<https://evil.example>)`],
    ['a role mention', '<@&123456789012345678>', `<${Z}@&123456789012345678>`],
    ['a user mention', '<@123456789012345678> and <@!123456789012345678>', `<${Z}@123456789012345678> and <${Z}@!123456789012345678>`],
    ['a channel mention', '<#123456789012345678>', `<${Z}#123456789012345678>`],
    ['a command mention', '</ask:123456789012345678>', `<${Z}/ask:123456789012345678>`],
    ['@everyone and @here', '@everyone @HERE', `@${Z}everyone @${Z}HERE`],
    ['a spoiler', '||hidden||', `|${Z}|hidden|${Z}|`],
  ])('GIVEN %s THEN it reads the same, with a zero-width space where the syntax would be recognised', (_what, raw, shown) => {
    expect(inertText(raw)).toBe(shown);
    expect(inertText(raw).replaceAll(Z, '')).toBe(raw);
  });

  it('GIVEN ordinary markdown and a bare link THEN inertText leaves them; inertLinks also unlinks the bare link', () => {
    const md = '**Bold**, `code`, [1] and a list:\n- https://example.com/page';
    expect(inertText(md)).toBe(md);
    expect(inertLinks(md)).toBe(`**Bold**, \`code\`, [1] and a list:\n- https:${Z}//example.com/page`);
  });

  it('GIVEN text made inert THEN doing it again changes nothing, and no live syntax is left', () => {
    const raw = '@everyone [a](https://x.example) <@&1> <#2> ||s|||| </a b:3> <id:guide> https://y.example';
    const once = inertLinks(raw);
    expect(inertLinks(once)).toBe(once);
    expect(inertText(once)).toBe(once);
    expect(once).not.toMatch(LIVE);
  });

  it('GIVEN a file name with controls, bidi characters, invisible characters and backticks THEN each is shown as a visible escape on one line', () => {
    expect(inertName('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(inertName('invoice\u202Etxt.exe')).toBe('invoice\\u202Etxt.exe');
    expect(inertName('x\u2066y\u2069\u200Bz\u{E0041}\u0000')).toBe('x\\u2066y\\u2069\\u200Bz\\u{E0041}\\u0000');
    expect(inertName('a`b')).toBe('a\u02CBb');
    expect(inertName('[x](https://e.example) <@&1>.md')).toBe(`[x]${Z}(https://e.example) <${Z}@&1>.md`);
    expect(inertName('Ünïcödé 文档 — notes.md')).toBe('Ünïcödé 文档 — notes.md');
  });
});
