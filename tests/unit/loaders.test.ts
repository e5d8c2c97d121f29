import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadCorpus } from '../../src/ingest/corpus.js';
import { formatBytes, humanizeFileName, loadDocument, type LoadErrorCode } from '../../src/ingest/loaders/index.js';
import { isUserError } from '../../src/errors.js';
import { makePdf } from '../fixtures/loaders/pdf.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'docent-loaders-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const LIMIT = { maxFileBytes: 64 * 1024 };

function put(rel: string, content: string | Buffer): string {
  const abs = path.join(dir, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return abs;
}

async function load(rel: string, content: string | Buffer, opts = LIMIT) {
  return loadDocument(put(rel, content), dir, opts);
}

describe('loadDocument rejections', () => {
  const cases: Array<[string, string, string | Buffer, LoadErrorCode]> = [
    ['zero bytes', 'empty.md', '', 'EMPTY'],
    ['whitespace only', 'blank.txt', ' \n\t\r\n  \n', 'EMPTY'],
    ['BOM + whitespace only', 'bom-blank.md', '\ufeff  \n', 'EMPTY'],
    ['front matter without body', 'fm-only.md', '---\ntitle: X\n---\n\n', 'EMPTY'],
    ['NUL bytes in text', 'nul.txt', Buffer.from('hello\0world'), 'BINARY'],
    ['PNG named .md', 'image.md', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]), 'BINARY'],
    ['mostly control chars', 'ctl.txt', Buffer.from('\x01\x02\x03\x04\x05\x06abc'), 'BINARY'],
    ['invalid UTF-8 (Latin-1 é)', 'latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'INVALID_UTF8'],
    ['overlong UTF-8', 'overlong.md', Buffer.from([0x41, 0xc0, 0xaf]), 'INVALID_UTF8'],
    ['UTF-16 with BOM', 'utf16.txt', Buffer.from('\ufeffhi', 'utf16le'), 'INVALID_UTF8'],
    ['.docx', 'report.docx', 'PK', 'UNSUPPORTED_TYPE'],
    ['.exe', 'setup.exe', 'MZ', 'UNSUPPORTED_TYPE'],
    ['no extension', 'Makefile', 'all:', 'UNSUPPORTED_TYPE'],
    ['corrupt PDF', 'broken.pdf', '%PDF-1.4\n1 0 obj garbage\n%%EOF', 'PARSE_FAILED'],
    ['.pdf without header', 'fake.pdf', 'just text', 'PARSE_FAILED'],
    ['PDF without text', 'scan.pdf', makePdf([[]]), 'EMPTY'],
    ['HTML with only script', 'script.html', '<script>alert(1)</script><style>p{}</style>', 'EMPTY'],
  ];
  it.each(cases)('GIVEN %s THEN %s', async (_name, file, content, code) => {
    const r = await load(file, content);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeGreaterThan(10);
    }
  });

  it('GIVEN a file over the limit THEN TOO_LARGE with a human message naming the variable', async () => {
    const r = await load('huge.txt', 'x'.repeat(3000), { maxFileBytes: 2048 });
    expect(r).toEqual({ ok: false, code: 'TOO_LARGE', message: '2.9 KB is over the 2 KB limit set by DOCENT_MAX_FILE_BYTES' });
  });

  it('GIVEN a folder or a missing path THEN NOT_A_FILE', async () => {
    mkdirSync(path.join(dir, 'folder.md'));
    expect(await loadDocument(path.join(dir, 'folder.md'), dir, LIMIT)).toMatchObject({ ok: false, code: 'NOT_A_FILE' });
    expect(await loadDocument(path.join(dir, 'missing.md'), dir, LIMIT)).toMatchObject({ ok: false, code: 'NOT_A_FILE' });
  });

  it.runIf(process.platform !== 'win32' && process.getuid?.() !== 0)('GIVEN an unreadable file THEN UNREADABLE', async () => {
    const abs = put('secret.txt', 'secret');
    const { chmodSync } = await import('node:fs');
    chmodSync(abs, 0o000);
    expect(await loadDocument(abs, dir, LIMIT)).toMatchObject({ ok: false, code: 'UNREADABLE' });
  });
});

describe('loadDocument text formats', () => {
  it('GIVEN a BOM and CRLF THEN both are removed and line numbers match the file', async () => {
    const r = await load('guides/Setup-Guide.md', '\ufeff# Setup\r\n\r\nLine three\rLine four\r\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.text).toBe('# Setup\n\nLine three\nLine four\n');
    expect(r.value.title).toBe('Setup');
    expect(r.value.source).toBe('guides/Setup-Guide.md');
    expect(r.value.text.split('\n')[2]).toBe('Line three');
    expect(r.value.bytes).toBe(Buffer.byteLength('\ufeff# Setup\r\n\r\nLine three\rLine four\r\n'));
    expect(r.value.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('GIVEN front matter THEN meta is read, bodyStart is after the closing line, text keeps the front matter', async () => {
    const src = '---\ntitle: "Pillars"\ndate: 2024-3-7\ndescription: The three\nsource: https://x.test/a\ntags: [a, b]\n---\n# Heading\nBody\n';
    const r = await load('p.md', src);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.text).toBe(src);
    expect(r.value.bodyStart).toBe(src.indexOf('# Heading'));
    expect(r.value.title).toBe('Pillars');
    expect(r.value.meta).toMatchObject({ title: 'Pillars', date: '2024-03-07', description: 'The three', source: 'https://x.test/a', tags: 'a, b' });
  });

  it('GIVEN malformed front matter THEN the document still loads, titled by its heading', async () => {
    const src = '---\ntitle: [unclosed\n  : : :\n---\n# Real Title\n\nText.\n';
    const r = await load('bad-fm.md', src);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.title).toBe('Real Title');
    expect(r.value.meta).toEqual({});
    expect(r.value.bodyStart).toBe(src.indexOf('# Real Title'));
  });

  it('GIVEN a YAML alias bomb in front matter THEN the doc loads without meta', async () => {
    const bomb = '---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n---\nBody text\n';
    expect(await load('bomb.md', bomb)).toMatchObject({ ok: true, value: { meta: {}, title: 'Bomb' } });
  });

  it('GIVEN markdown without title or heading THEN the title is the humanized file name', async () => {
    const r = await load('release_notes-2024.markdown', 'Just text.\n```\n# not a heading\n```\n');
    expect(r.ok && r.value.title).toBe('Release notes 2024');
  });

  it('GIVEN a .txt THEN the title is the humanized name and text is the file', async () => {
    const r = await load('my-notes_v2.txt', 'a\r\nb');
    expect(r.ok && r.value).toMatchObject({ title: 'My notes v2', text: 'a\nb', bodyStart: 0, format: 'txt', meta: {} });
  });

  it('humanizeFileName and formatBytes', () => {
    expect(humanizeFileName('my-notes_v2.txt')).toBe('My notes v2');
    expect(humanizeFileName('.md')).toBe('.md');
    expect(formatBytes(13_002_342)).toBe('12.4 MB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatBytes(1)).toBe('1 byte');
  });
});

describe('loadDocument HTML', () => {
  const page = `<!doctype html><html><head><title>Ops &amp; Runbook</title>
    <meta name="description" content="How we &quot;run&quot; it"><style>h1{color:red}</style>
    <script>document.title='x'</script></head><body>
    <script>alert(1)</script><noscript>enable js</noscript><template><p>tpl</p></template>
    <svg><text>svgtext</text></svg><iframe src="x"></iframe>
    <h1>Main   heading</h1><h3>Sub &lt;part&gt;</h3>
    <p>First   para with <b>bold</b> and&nbsp;entity &eacute;.</p>
    <p hidden>hidden text</p>
    <ul><li>one</li><li>two <i>it</i></li></ul>
    <blockquote>Quoted</blockquote><pre>code  line 1
  indented</pre>
    <table><thead><tr><th>Name</th><th>Role</th></tr></thead>
    <tbody><tr><td>Ann</td><td>Lead | Ops</td></tr><tr><td>Bo</td></tr></tbody></table>
    </body></html>`;

  it('GIVEN scripts, styles and tables THEN scripts are dropped, headings kept, tables become Markdown', async () => {
    const r = await load('runbook.html', page);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const t = r.value.text;
    expect(t).not.toMatch(/alert|color:red|enable js|tpl|svgtext|hidden text|document\.title/);
    expect(t).toContain('# Main heading');
    expect(t).toContain('### Sub <part>');
    expect(t).toContain('First para with bold and entity é.');
    expect(t).toContain('- one\n- two it');
    expect(t).toContain('Quoted');
    expect(t).toContain('code  line 1\n  indented');
    expect(t).toContain('| Name | Role |\n|---|---|\n| Ann | Lead \\| Ops |\n| Bo |  |');
    expect(r.value.title).toBe('Ops & Runbook');
    expect(r.value.meta.description).toBe('How we "run" it');
    expect(r.value.bodyStart).toBe(0);
  });

  it('GIVEN no <title> THEN the first h1 is the title; GIVEN neither THEN the file name', async () => {
    expect(await load('a.htm', '<h2>x</h2><h1>First H1</h1>')).toMatchObject({ ok: true, value: { title: 'First H1' } });
    expect(await load('team-page.html', '<p>hi</p>')).toMatchObject({ ok: true, value: { title: 'Team page' } });
  });

  it('GIVEN absurdly deep nesting THEN PARSE_FAILED, not a stack overflow', async () => {
    const deep = '<div>'.repeat(5000) + 'deep' + '</div>'.repeat(5000);
    expect(await load('deep.html', deep)).toMatchObject({ ok: false, code: 'PARSE_FAILED' });
  });

  it('GIVEN <br> inside a paragraph THEN its lines stay adjacent', async () => {
    expect(await load('br.html', '<p>a<br>b</p><p>c</p>')).toMatchObject({ ok: true, value: { text: 'a\nb\n\nc' } });
  });
});

describe('loadDocument PDF', () => {
  it('GIVEN a valid text PDF THEN pages are joined by a blank line and the Info title is used', async () => {
    const r = await load('docs/handbook.pdf', makePdf([['Hello world', 'Second line'], ['Page two (x)']], { title: 'Handbook' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ format: 'pdf', title: 'Handbook', source: 'docs/handbook.pdf', bodyStart: 0 });
    expect(r.value.text).toBe('Hello world\nSecond line\n\nPage two (x)');
    expect(r.value.meta.date).toBe('2024-01-05');
  });

  it('GIVEN a corrupt PDF THEN PARSE_FAILED carries the parser reason', async () => {
    const r = await load('broken.pdf', '%PDF-1.4\n1 0 obj garbage\n%%EOF');
    expect(r).toMatchObject({ ok: false, code: 'PARSE_FAILED' });
    if (!r.ok) expect(r.message).toMatch(/could not be read: .+/);
  });

  it('GIVEN a PDF with no text THEN EMPTY says it may be scanned', async () => {
    const r = await load('scan.pdf', makePdf([[]]));
    expect(r).toMatchObject({ ok: false, code: 'EMPTY' });
    if (!r.ok) expect(r.message).toMatch(/scanned/);
  });
});

describe('loadDocument properties', () => {
  it('any bytes in a .txt/.md: never throws, and a loaded text has no CR, no BOM, and is non-blank', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('x.txt', 'x.md', 'x.html'), async (bytes, name) => {
        const r = await load(name, Buffer.from(bytes));
        if (r.ok) {
          expect(r.value.text).not.toMatch(/\r/);
          expect(r.value.text.charCodeAt(0)).not.toBe(0xfeff);
          expect(r.value.text.trim()).not.toBe('');
          expect(r.value.bytes).toBe(bytes.length);
        } else {
          expect(['EMPTY', 'BINARY', 'INVALID_UTF8', 'PARSE_FAILED']).toContain(r.code);
        }
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('any unicode text with mixed newlines in .md: text equals the LF-normalized input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('\n', '\r\n', '\r')), { minLength: 1, maxLength: 10 }), async (parts) => {
        const raw = parts.map(([s, nl]) => s.replace(/[\r\0]/g, '') + nl).join('');
        const r = await load('p.md', raw);
        const expected = raw.replace(/\r\n?/g, '\n');
        if (r.ok) expect(r.value.text).toBe(expected.charCodeAt(0) === 0xfeff ? expected.slice(1) : expected);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe('loadCorpus', () => {
  it('GIVEN one broken file among good ones THEN the others load and the broken one is reported', async () => {
    put('a.md', '# A\n\nalpha\n');
    put('b.pdf', '%PDF-1.4 garbage');
    put('c/d.txt', 'delta');
    put('c/e.bin', 'x');
    put('README.md', '# Readme\n\nis a document too\n');
    put('.hidden.md', '# hidden');
    put('.git/config.md', '# hidden dir');
    put('z.txt', Buffer.from('bad\0bytes'));
    const progress: string[] = [];
    const r = await loadCorpus(dir, { ...LIMIT, onProgress: (done, total, s) => progress.push(`${done}/${total} ${s}`) });
    expect(r.docs.map((d) => d.source)).toEqual(['README.md', 'a.md', 'c/d.txt']);
    expect(r.skipped.map((s) => [s.source, s.code])).toEqual([
      ['b.pdf', 'PARSE_FAILED'],
      ['c/e.bin', 'UNSUPPORTED_TYPE'],
      ['z.txt', 'BINARY'],
    ]);
    expect(progress).toEqual(['1/6 README.md', '2/6 a.md', '3/6 b.pdf', '4/6 c/d.txt', '5/6 c/e.bin', '6/6 z.txt']);
  });

  it('GIVEN the same content under two names THEN the second in sorted order is DUPLICATE naming the first', async () => {
    put('b/copy.md', '# Same\n\ntext\n');
    put('a/orig.md', '# Same\n\ntext\n');
    const r = await loadCorpus(dir, LIMIT);
    expect(r.docs.map((d) => d.source)).toEqual(['a/orig.md']);
    expect(r.skipped).toEqual([{ source: 'b/copy.md', code: 'DUPLICATE', message: 'same content as a/orig.md, which is kept' }]);
  });

  it.runIf(process.platform !== 'win32')('GIVEN a folder symlink to its parent, a self-link and a link to a file outside THEN it returns, reports SYMLINK_LOOP and never reads outside the corpus', async () => {
    put('sub/doc.md', '# Doc\n\nbody\n');
    symlinkSync('..', path.join(dir, 'sub', 'up'));
    symlinkSync('self', path.join(dir, 'self'));
    symlinkSync('nowhere.md', path.join(dir, 'dangling.md'));
    const outside = mkdtempSync(path.join(tmpdir(), 'docent-outside-'));
    writeFileSync(path.join(outside, 'ext.md'), '# External\n\nfollowed\n');
    symlinkSync(path.join(outside, 'ext.md'), path.join(dir, 'linked.md'));
    try {
      const r = await loadCorpus(dir, LIMIT);
      expect(r.docs.map((d) => d.source)).toEqual(['sub/doc.md']);
      expect(r.skipped).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ source: 'linked.md', code: 'OUTSIDE_CORPUS' }),
          expect.objectContaining({ source: 'self', code: 'SYMLINK_LOOP' }),
          expect.objectContaining({ source: 'sub/up/', code: 'SYMLINK_LOOP' }),
          expect.objectContaining({ source: 'dangling.md', code: 'NOT_A_FILE' }),
        ]),
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform !== 'win32')('GIVEN a folder link sorting before the real folder THEN the real folder is read and the link is DUPLICATE', async () => {
    put('real/doc.md', '# Doc\n\nbody\n');
    symlinkSync('real', path.join(dir, 'a-link'));
    const r = await loadCorpus(dir, LIMIT);
    expect(r.docs.map((d) => d.source)).toEqual(['real/doc.md']);
    expect(r.skipped).toEqual([{ source: 'a-link/', code: 'DUPLICATE', message: 'same folder as real/, which is read once' }]);
  });

  it('GIVEN malformed front matter THEN the doc loads and a warning is returned', async () => {
    put('x.md', '---\na: [\n---\nBody\n');
    const r = await loadCorpus(dir, LIMIT);
    expect(r.docs).toHaveLength(1);
    expect(r.warnings).toEqual([expect.objectContaining({ source: 'x.md', message: expect.stringMatching(/front matter/) })]);
  });

  it('GIVEN front matter url: THEN an http(s) URL is kept normalised; any other is dropped with a warning that does not echo it', async () => {
    put('ok.md', '---\nurl: https://example.test/a b?q=1\n---\nBody\n');
    put('js.md', '---\nurl: javascript:alert(1)\n---\nBody two\n');
    put('rel.md', '---\nurl: /docs/page\n---\nBody three\n');
    put('cred.md', '---\nurl: https://user:s3cret@example.test/\n---\nBody four\n');
    const r = await loadCorpus(dir, LIMIT);
    const meta = Object.fromEntries(r.docs.map((d) => [d.source, d.meta]));
    expect(meta['ok.md'].url).toBe('https://example.test/a%20b?q=1');
    for (const s of ['js.md', 'rel.md', 'cred.md']) expect(meta[s].url).toBeUndefined();
    expect(r.warnings).toEqual([
      { source: 'cred.md', message: 'front matter url holds a user name or password; ignored it' },
      { source: 'js.md', message: 'front matter url is a javascript: URL, not http(s); ignored it' },
      { source: 'rel.md', message: 'front matter url is not an absolute URL (expected http:// or https://); ignored it' },
    ]);
  });

  it('GIVEN a missing corpus folder THEN UserError CORPUS_MISSING naming the path', async () => {
    const missing = path.join(dir, 'nope');
    const err = await loadCorpus(missing, LIMIT).then(() => undefined, (e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'CORPUS_MISSING' });
    expect((err as Error).message).toContain(missing);
  });
});
