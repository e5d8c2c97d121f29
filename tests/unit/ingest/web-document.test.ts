import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARSE_LIMITS } from '../../../src/ingest/loaders/limits.js';
import { validateFileName } from '../../../src/ingest/upload.js';
import { listWebDocuments, listWebNames, toWebDocument, webSourceFor, type WebDocumentInfo } from '../../../src/ingest/web-document.js';

const limits = { ...DEFAULT_PARSE_LIMITS, maxFileBytes: 1024 * 1024 };
const at = new Date('2026-03-20T12:00:00.000Z');

describe('a fetched page as a corpus document', () => {
  it('GIVEN an HTML page THEN web/<host>-<path>.md: front matter with url, fetched_at, etag and last_modified; the visible text, scripts dropped', async () => {
    const html = '<html><head><title>Install: Guide</title><meta name="description" content="How to"><script>steal()</script></head><body><h1>Install</h1><p>Run the installer &amp; reboot.</p></body></html>';
    const doc = await toWebDocument({ url: 'https://docs.example.com/guide/install.html', bytes: Buffer.from(html), contentType: 'text/html', etag: '"v1"', lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT' }, at, limits);
    expect(doc.ok && doc.value.bytes.toString()).toBe(
      [
        '---',
        'title: "Install: Guide"',
        'url: https://docs.example.com/guide/install.html',
        'fetched_at: 2026-03-20T12:00:00.000Z',
        `etag: '"v1"'`,
        'last_modified: Wed, 01 Jan 2025 00:00:00 GMT',
        'description: How to',
        '---',
        '# Install',
        '',
        'Run the installer & reboot.',
        '',
      ].join('\n'),
    );
    expect(webSourceFor('https://docs.example.com/guide/install.html', [])).toBe('web/docs.example.com-guide-install.md');
  });

  it('GIVEN a page in the charset its server names (latin1) THEN its text is stored as UTF-8', async () => {
    const doc = await toWebDocument({ url: 'https://x.example/menu', bytes: Buffer.from('<p>Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e</p>', 'latin1'), contentType: 'text/html', charset: 'iso-8859-1' }, at, limits);
    expect(doc.ok && doc.value.body).toBe('Café crème brûlée');
  });

  it('GIVEN an unsupported type or an empty page THEN a clear code instead of a document', async () => {
    expect(await toWebDocument({ url: 'https://x.example/a.png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png' }, at, limits)).toMatchObject({ ok: false, code: 'URL_UNSUPPORTED_TYPE', message: 'it is of type image/png; Docent reads HTML, Markdown, plain text and PDF pages' });
    expect(await toWebDocument({ url: 'https://x.example/', bytes: Buffer.from('<html><body><script>x</script></body></html>'), contentType: 'text/html' }, at, limits)).toMatchObject({ ok: false, code: 'URL_EMPTY' });
  });

  it('GIVEN names THEN a URL already in the corpus keeps its file, a query or a taken name gets a hash', () => {
    const existing: WebDocumentInfo[] = [{ source: 'web/old-name.md', url: 'https://a.example/x', fetchedAt: '', body: '', sha256: '' }, { source: 'web/b.example-page.md', url: 'https://b.example/page?v=1', fetchedAt: '', body: '', sha256: '' }];
    expect(webSourceFor('https://a.example/x', existing)).toBe('web/old-name.md');
    expect(webSourceFor('https://b.example/page', existing)).toMatch(/^web\/b\.example-page-[0-9a-f]{8}\.md$/);
    expect(webSourceFor('https://www.c.example:8080/', [])).toBe('web/c.example-8080.md');
    expect(webSourceFor('https://c.example/search?q=a', [])).toMatch(/^web\/c\.example-search-[0-9a-f]{8}\.md$/);
  });

  it('GIVEN a file a person put in web/ under the name (any case, no front matter) THEN a new URL document takes the hashed name, not that file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-web-'));
    try {
      await fs.mkdir(path.join(dir, 'web'));
      await fs.writeFile(path.join(dir, 'web', 'd.example-notes.md'), 'My own notes.\n');
      await fs.writeFile(path.join(dir, 'web', 'E.example-Guide.md'), 'Notes too.\n');
      const taken = await listWebNames(dir);
      expect(webSourceFor('https://d.example/notes', await listWebDocuments(dir), taken)).toMatch(/^web\/d\.example-notes-[0-9a-f]{8}\.md$/);
      expect(webSourceFor('https://e.example/guide', [], taken)).toMatch(/^web\/e\.example-guide-[0-9a-f]{8}\.md$/);
      expect(webSourceFor('https://f.example/other', [], taken)).toBe('web/f.example-other.md');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['https://aux.example.com/guide', 'https://con.example/', 'https://NUL.example.org/a?b=1', 'https://com1.example/x', 'https://lpt9.example/', 'https://prn.example:8080/'])(
    'GIVEN a host whose first label is a Windows device name (%s) THEN a file name the corpus accepts, the hash first',
    (url) => {
      const source = webSourceFor(url, []);
      expect(source).toMatch(/^web\/[0-9a-f]{8}[-.]/);
      expect(validateFileName(path.posix.basename(source))).toMatchObject({ ok: true });
    },
  );

  it('GIVEN the corpus THEN only web/*.md files with url and fetched_at are URL documents', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-web-'));
    try {
      await fs.mkdir(path.join(dir, 'web'));
      const doc = await toWebDocument({ url: 'https://a.example/x', bytes: Buffer.from('Plain text page.'), contentType: 'text/plain', etag: 'W/"7"' }, at, limits);
      await fs.writeFile(path.join(dir, 'web', 'a.example-x.md'), doc.ok ? doc.value.bytes : '');
      await fs.writeFile(path.join(dir, 'web', 'notes.md'), '---\nurl: https://b.example/\n---\nA note someone linked.\n');
      await fs.writeFile(path.join(dir, 'elsewhere.md'), '---\nurl: https://c.example/\nfetched_at: x\n---\nNot in web/.\n');
      expect(await listWebDocuments(dir)).toEqual([{ source: 'web/a.example-x.md', url: 'https://a.example/x', fetchedAt: '2026-03-20T12:00:00.000Z', etag: 'W/"7"', lastModified: undefined, body: 'Plain text page.', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
