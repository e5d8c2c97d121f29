import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { displayName, safeCorpusPath, validateUpload, type UploadErrorCode } from '../../src/ingest/upload.js';
import { makePdf } from '../fixtures/loaders/pdf.js';

const MAX = { maxBytes: 4096 };
const TEXT = Buffer.from('# Title\n\nSome text.\n');
const ROOT = path.resolve('/srv/docent/corpus');

describe('validateUpload accepts', () => {
  it.each([
    ['notes.md', TEXT, 'md'],
    ['Notes.MARKDOWN', TEXT, 'md'],
    ['log v2.txt', TEXT, 'txt'],
    ['página-ü.html', Buffer.from('<p>hi</p>'), 'html'],
    ['plain.htm', Buffer.from('no tags at all, accepted as text'), 'html'],
    ['report.pdf', makePdf([['Hi']]), 'pdf'],
    ['CONSOLE.md', TEXT, 'md'],
    ['a..b.md', TEXT, 'md'],
  ])('GIVEN %s THEN ok', (fileName, bytes, format) => {
    expect(validateUpload({ fileName, bytes }, MAX)).toEqual({ ok: true, value: { fileName, format } });
  });

  it('GIVEN a decomposed unicode name THEN it is returned NFC-normalized', () => {
    const r = validateUpload({ fileName: 'cafe\u0301.md', bytes: TEXT }, MAX);
    expect(r).toEqual({ ok: true, value: { fileName: 'caf\u00e9.md', format: 'md' } });
  });

  it('GIVEN a matching or generic content type THEN ok', () => {
    expect(validateUpload({ fileName: 'a.pdf', bytes: makePdf([['x']]), contentType: 'application/pdf' }, MAX).ok).toBe(true);
    expect(validateUpload({ fileName: 'a.md', bytes: TEXT, contentType: 'text/markdown; charset=utf-8' }, MAX).ok).toBe(true);
    expect(validateUpload({ fileName: 'a.txt', bytes: TEXT, contentType: 'application/octet-stream' }, MAX).ok).toBe(true);
  });
});

describe('validateUpload rejects', () => {
  const big = Buffer.alloc(5000, 'a');
  const cases: Array<[string, string, Buffer, UploadErrorCode, string?]> = [
    ['parent traversal', '../secrets.md', TEXT, 'PATH_TRAVERSAL'],
    ['windows traversal', '..\\secrets.md', TEXT, 'PATH_TRAVERSAL'],
    ['nested path', 'sub/notes.md', TEXT, 'PATH_TRAVERSAL'],
    ['absolute posix', '/etc/passwd.txt', TEXT, 'PATH_TRAVERSAL'],
    ['absolute windows', 'C:\\x.md', TEXT, 'PATH_TRAVERSAL'],
    ['drive-relative', 'C:x.md', TEXT, 'PATH_TRAVERSAL'],
    ['dot dot', '..', TEXT, 'PATH_TRAVERSAL'],
    ['NUL in name', 'a\0.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['newline in name', 'a\nb.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['zero-width space', 'a\u200bb.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['RTL override', 'invoice\u202Edm.exe', TEXT, 'UNSAFE_CHARACTERS'],
    ['bidi isolate', 'x\u2066.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['BOM in name', '\ufeffa.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['non-breaking space', 'a\u00a0b.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['NTFS stream', 'a.txt:evil.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['wildcard', 'a*.md', TEXT, 'UNSAFE_CHARACTERS'],
    ['CON', 'CON', TEXT, 'RESERVED_NAME'],
    ['con.md', 'con.md', TEXT, 'RESERVED_NAME'],
    ['NUL.txt', 'NUL.txt', TEXT, 'RESERVED_NAME'],
    ['COM1.pdf', 'COM1.pdf', TEXT, 'RESERVED_NAME'],
    ['lpt9.tar.md', 'lpt9.tar.md', TEXT, 'RESERVED_NAME'],
    ['AUX', 'aux.html', TEXT, 'RESERVED_NAME'],
    ['PRN', 'Prn.txt', TEXT, 'RESERVED_NAME'],
    ['dotfile', '.env.md', TEXT, 'UNSAFE_NAME'],
    ['dash', '-rf.md', TEXT, 'UNSAFE_NAME'],
    ['trailing dot', 'a.md.', TEXT, 'UNSAFE_NAME'],
    ['leading space', ' a.md', TEXT, 'UNSAFE_NAME'],
    ['empty name', '', TEXT, 'UNSAFE_NAME'],
    ['101 chars', 'a'.repeat(98) + '.md', TEXT, 'NAME_TOO_LONG'],
    ['too many bytes', '😀'.repeat(70) + '.md', TEXT, 'NAME_TOO_LONG'],
    ['docx', 'report.docx', TEXT, 'UNSUPPORTED_TYPE'],
    ['exe', 'setup.exe', TEXT, 'UNSUPPORTED_TYPE'],
    ['double extension', 'notes.md.exe', TEXT, 'UNSUPPORTED_TYPE'],
    ['no extension', 'README', TEXT, 'UNSUPPORTED_TYPE'],
    ['empty content', 'a.md', Buffer.alloc(0), 'EMPTY'],
    ['whitespace content', 'a.txt', Buffer.from(' \r\n\t'), 'EMPTY'],
    ['over size', 'a.txt', big, 'TOO_LARGE'],
    ['pdf without header', 'a.pdf', TEXT, 'TYPE_MISMATCH'],
    ['PNG named pdf', 'a.pdf', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), 'TYPE_MISMATCH'],
    ['txt that is a PDF', 'a.txt', makePdf([['x']]), 'TYPE_MISMATCH'],
    ['txt that is a ZIP', 'a.txt', Buffer.from('PK\x03\x04rest', 'latin1'), 'TYPE_MISMATCH'],
    ['md that is a PNG', 'a.md', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'TYPE_MISMATCH'],
    ['html that is ELF', 'a.html', Buffer.from('\x7fELF\x02\x01', 'latin1'), 'TYPE_MISMATCH'],
    ['NUL in text', 'a.md', Buffer.from('hi\0there'), 'TYPE_MISMATCH'],
    ['invalid UTF-8', 'a.md', Buffer.from([0x68, 0xe9, 0x0a]), 'INVALID_UTF8'],
  ];
  it.each(cases)('GIVEN %s THEN %s', (_what, fileName, bytes, code) => {
    const r = validateUpload({ fileName, bytes }, MAX);
    expect(r).toMatchObject({ ok: false, code });
    if (!r.ok) {
      expect(r.message).not.toMatch(/[\u0000-\u001f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
    }
  });

  it('GIVEN a content type that contradicts the name THEN TYPE_MISMATCH', () => {
    expect(validateUpload({ fileName: 'a.md', bytes: TEXT, contentType: 'image/png' }, MAX)).toMatchObject({ ok: false, code: 'TYPE_MISMATCH' });
    expect(validateUpload({ fileName: 'a.pdf', bytes: makePdf([['x']]), contentType: 'text/plain' }, MAX)).toMatchObject({ ok: false, code: 'TYPE_MISMATCH' });
  });

  it('GIVEN an oversize upload THEN the message gives both sizes', () => {
    const r = validateUpload({ fileName: 'a.txt', bytes: Buffer.alloc(3 * 1024 * 1024, 'a') }, { maxBytes: 2 * 1024 * 1024 });
    expect(r).toEqual({ ok: false, code: 'TOO_LARGE', message: 'The file "a.txt" is 3 MB; uploads are limited to 2 MB.' });
  });

  it('displayName escapes invisible characters and Discord markdown/mentions', () => {
    expect(displayName('a\u202Eb')).toBe('a\\u{202e}b');
    expect(displayName('@everyone_*x*')).toBe('\\@everyone\\_\\*x\\*');
    expect([...displayName('x'.repeat(200))].length).toBe(58);
  });
});

describe('safeCorpusPath', () => {
  it('GIVEN a good name THEN a direct child of the root', () => {
    expect(safeCorpusPath(ROOT, 'notes.md')).toEqual({ ok: true, value: path.join(ROOT, 'notes.md') });
  });
  it.each(['../x.md', 'a/../../x.md', '/etc/x.md', 'C:\\x.md', '..', '.', ''])('GIVEN %j THEN rejected', (name) => {
    expect(safeCorpusPath(ROOT, name).ok).toBe(false);
  });
});

const inside = (p: string) => path.dirname(p) === ROOT && p.startsWith(ROOT + path.sep);

describe('upload properties', () => {
  const hostileName = fc
    .tuple(
      fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('../', '..\\', '/', '\\', '..', '.', 'C:', '\u202e', '\u200b', '\0', 'CON')), { maxLength: 6 }),
      fc.constantFrom('', '.md', '.txt', '.pdf', '.html', '.exe'),
    )
    .map(([parts, ext]) => parts.join('') + ext);

  it('no generated name ever yields a path outside the corpus root', () => {
    fc.assert(
      fc.property(hostileName, (name) => {
        const p = safeCorpusPath(ROOT, name);
        if (p.ok) expect(inside(p.value)).toBe(true);
        const v = validateUpload({ fileName: name, bytes: TEXT }, MAX);
        if (v.ok) {
          const q = safeCorpusPath(ROOT, v.value.fileName);
          expect(q.ok).toBe(true);
          if (q.ok) expect(inside(q.value)).toBe(true);
          expect(v.value.fileName).not.toMatch(/[/\\\0]|^\.|^-/);
        }
      }),
      { numRuns: 2000, seed: 1234 },
    );
  });

  it('any full-unicode name: accepted names are never traversal, hidden or invisible', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('.md', '.pdf', '.txt'), (stem, ext) => {
        const v = validateUpload({ fileName: stem + ext, bytes: ext === '.pdf' ? makePdf([['x']]) : TEXT }, MAX);
        if (!v.ok) return;
        expect(v.value.fileName).not.toMatch(/[/\\]|^[.-]|\p{Cc}|\p{Cf}/u);
        expect(v.value.fileName.includes('..') ? !v.value.fileName.includes('/') : true).toBe(true);
        const q = safeCorpusPath(ROOT, v.value.fileName);
        expect(q.ok && inside(q.value)).toBe(true);
      }),
      { numRuns: 1000, seed: 99 },
    );
  });

  it('inserting "../" anywhere in a valid name is always rejected', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.constantFrom('../', '..\\', '/', '\\'), (at, bad) => {
        const name = 'quarterly-report.md';
        const i = Math.min(at, name.length);
        const r = validateUpload({ fileName: name.slice(0, i) + bad + name.slice(i), bytes: TEXT }, MAX);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
