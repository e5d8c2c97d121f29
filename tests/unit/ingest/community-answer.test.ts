import { describe, expect, it } from 'vitest';
import { renderCommunityAnswer, slugOf, type CommunityAnswer } from '../../../src/ingest/community-answer.js';
import { loadYamlParser, parseMarkdown } from '../../../src/ingest/loaders/markdown.js';

const base: CommunityAnswer = {
  question: 'How do I reset the router?',
  answer: 'Hold the reset button for ten seconds.',
  author: 'Bob',
  askedBy: 'Alice',
  postedAt: new Date('2026-03-20T12:34:56Z'),
  url: 'https://discord.com/channels/1/2/3',
  channel: 'help',
  messageId: '3',
};

async function parsed(a: CommunityAnswer) {
  await loadYamlParser();
  const doc = renderCommunityAnswer(a);
  return { doc, md: parseMarkdown(doc.markdown) };
}

describe('renderCommunityAnswer (Add to Docent)', () => {
  it('GIVEN a question and an answer THEN front matter holds title, author, asker, date, jump link and channel, and the body the two texts', async () => {
    const { doc, md } = await parsed(base);
    expect(doc.fileName).toBe('2026-03-20-how-do-i-reset-the-router-3.md');
    expect(md.warnings).toEqual([]);
    expect(md.meta).toEqual({ title: 'How do I reset the router?', author: 'Bob', asked_by: 'Alice', date: '2026-03-20', url: 'https://discord.com/channels/1/2/3', channel: 'help', message_id: '3' });
    expect(doc.markdown.slice(md.bodyStart)).toBe('\n## Question\n\nHow do I reset the router?\n\n## Answer\n\nHold the reset button for ten seconds.\n');
  });

  it.each([
    ['a "---" line and newlines', 'Why?\n---\nurl: https://evil.test\n---\n# Injected'],
    ['YAML specials', `key: value # not a comment ' " & * ! | > % @ \` { } [ ] ? - ...`],
    ['a YAML document end and an alias', '... *a &a !!binary'],
    ['a title that is only "---"', '---'],
  ])('GIVEN a title with %s THEN the front matter still ends where it should, with exactly its keys and the title on one line', async (_, title) => {
    const { md, doc } = await parsed({ ...base, title, author: `Eve\n---\nurl: https://evil.test`, channel: 'help: #general' });
    expect(md.warnings).toEqual([]);
    expect(Object.keys(md.meta).sort()).toEqual(['asked_by', 'author', 'channel', 'date', 'message_id', 'title', 'url']);
    expect(md.meta.url).toBe('https://discord.com/channels/1/2/3');
    expect(md.meta.title).toBe(title.replace(/\s+/g, ' ').trim());
    expect(md.meta.author).toBe('Eve --- url: https://evil.test');
    expect(md.meta.channel).toBe('help: #general');
    expect(md.title).toBe(md.meta.title);
    expect(doc.markdown.slice(md.bodyStart)).toMatch(/^\n## Question\n/);
  });

  it('GIVEN texts with a "---" line, CRLF, control and bidi characters THEN the body keeps the words, drops the characters, and stays body', async () => {
    const { md, doc } = await parsed({ ...base, title: undefined, question: '\r\nFirst line\u202E\u0007 here\r\n---\r\nmore', answer: 'ok\u0000 👩‍💻\n\n\n\ndone' });
    expect(md.meta.title).toBe('First line here');
    expect(doc.markdown.slice(md.bodyStart)).toBe('\n## Question\n\nFirst line here\n---\nmore\n\n## Answer\n\nok 👩‍💻\n\ndone\n');
  });

  it('GIVEN a long or non-Latin title THEN the file name has a short ASCII slug and the message id', () => {
    expect(slugOf('Ünïcödé   words, and: punctuation!')).toBe('unicode-words-and-punctuation');
    expect(slugOf('问题')).toBe('answer');
    expect(renderCommunityAnswer({ ...base, title: 'word '.repeat(40), messageId: '99' }).fileName).toMatch(/^2026-03-20-(word-){9}word-99\.md$/);
  });
});
