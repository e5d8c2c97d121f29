import path from 'node:path';
import type { DocFormat, Result } from '../types.js';
import { decodeTextBytes, formatBytes, hasPdfHeader, sniffBinarySignature } from './loaders/bytes.js';
import { formatOf, supportedList } from './loaders/index.js';

export type UploadErrorCode =
  | 'UNSAFE_NAME'
  | 'PATH_TRAVERSAL'
  | 'UNSAFE_CHARACTERS'
  | 'RESERVED_NAME'
  | 'NAME_TOO_LONG'
  | 'UNSUPPORTED_TYPE'
  | 'EMPTY'
  | 'TOO_LARGE'
  | 'TYPE_MISMATCH'
  | 'INVALID_UTF8';

export interface UploadInput {
  fileName: string;
  bytes: Buffer;
  /** MIME type the client reported (Discord's `contentType`), if any. */
  contentType?: string;
}

export const MAX_NAME_CHARS = 100;
/** Most file systems cap a name at 255 bytes. */
const MAX_NAME_BYTES = 255;

/** Control, format (zero-width, bidi, soft hyphen, tags), surrogate, private-use, unassigned, line/paragraph separators, non-ASCII spaces. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|[^\S ]/u;
/** Characters Windows forbids in names; `:` also opens NTFS alternate data streams. */
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;

type Fail = { ok: false; code: UploadErrorCode; message: string };
const fail = (code: UploadErrorCode, message: string): Fail => ({ ok: false, code, message });

/**
 * A file name made safe to echo back in Discord: invisible and control characters shown as
 * `\u{…}` escapes, Markdown and mention characters neutralised, cut to 60 characters.
 */
export function displayName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (INVISIBLE.test(ch) || ch === '\\') out += ch === '\\' ? '\\\\' : `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
  }
  out = out.replace(/[`*_~|>#@[\]()]/g, (c) => `\\${c}`);
  const chars = [...out];
  return chars.length > 60 ? `${chars.slice(0, 57).join('')}…` : out;
}

/**
 * Checks a file name alone: returns the NFC-normalised name and its format, or why it is
 * unsafe. Used by `validateUpload` and `safeCorpusPath`.
 */
export function validateFileName(fileName: string): Result<{ fileName: string; format: DocFormat }, UploadErrorCode> {
  if (typeof fileName !== 'string' || fileName.length === 0) return fail('UNSAFE_NAME', 'The file has no name.');
  const name = fileName.normalize('NFC');
  const shown = `"${displayName(name)}"`;
  if (INVISIBLE.test(name)) {
    return fail('UNSAFE_CHARACTERS', `The file name ${shown} contains control, invisible or direction-changing characters; rename it using plain letters, digits, spaces, "-", "_" and ".".`);
  }
  if (name.includes('/') || name.includes('\\') || name === '.' || name === '..' || /^[a-z]:/i.test(name)) {
    return fail('PATH_TRAVERSAL', `The file name ${shown} contains a path (a "/", "\\", ".." or a drive letter); send a plain file name.`);
  }
  if ([...name].length > MAX_NAME_CHARS || Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    return fail('NAME_TOO_LONG', `The file name is ${[...name].length} characters long; the limit is ${MAX_NAME_CHARS}.`);
  }
  if (WINDOWS_FORBIDDEN.test(name)) {
    return fail('UNSAFE_CHARACTERS', `The file name ${shown} contains one of < > : " | ? *, which are not allowed in file names.`);
  }
  if (name.startsWith('.') || name.startsWith('-')) {
    return fail('UNSAFE_NAME', `The file name ${shown} starts with "${name[0]}"; names must start with a letter or digit.`);
  }
  if (/[. ]$/.test(name) || name !== name.trim()) {
    return fail('UNSAFE_NAME', `The file name ${shown} starts or ends with a space or ends with "."; remove them.`);
  }
  const stem = name.split('.')[0].trimEnd();
  if (RESERVED.test(stem)) {
    return fail('RESERVED_NAME', `The file name ${shown} is reserved by Windows (${stem.toUpperCase()}); choose another name.`);
  }
  const format = formatOf(name);
  if (!format) {
    const ext = path.extname(name);
    return fail('UNSUPPORTED_TYPE', ext ? `"${displayName(ext)}" files are not supported; send ${supportedList()}.` : `The file ${shown} has no extension; send ${supportedList()}.`);
  }
  return { ok: true, value: { fileName: name, format } };
}

const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf', 'application/octet-stream', 'binary/octet-stream']);
const TEXT_EXTRA_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/xhtml+xml', 'application/x-markdown']);

function contentTypeFits(format: DocFormat, contentType: string | undefined): boolean {
  if (!contentType) return true;
  const mime = contentType.split(';')[0].trim().toLowerCase();
  if (!mime) return true;
  if (format === 'pdf') return PDF_TYPES.has(mime);
  return mime.startsWith('text/') || TEXT_EXTRA_TYPES.has(mime);
}

/**
 * Validates an uploaded file before anything touches the corpus: the name (no paths, invisible
 * characters, reserved or hidden names), the extension, the size, and that the content matches
 * the extension. Messages are safe to show to a Discord user.
 */
export function validateUpload(
  input: UploadInput,
  opts: { maxBytes: number },
): Result<{ fileName: string; format: DocFormat }, UploadErrorCode> {
  const named = validateFileName(input.fileName);
  if (!named.ok) return named;
  const { fileName, format } = named.value;
  const shown = `"${displayName(fileName)}"`;
  const bytes = input.bytes;

  if (!bytes || bytes.length === 0) return fail('EMPTY', `The file ${shown} is empty.`);
  if (bytes.length > opts.maxBytes) {
    return fail('TOO_LARGE', `The file ${shown} is ${formatBytes(bytes.length)}; uploads are limited to ${formatBytes(opts.maxBytes)}.`);
  }
  if (!contentTypeFits(format, input.contentType)) {
    const mime = input.contentType!.split(';')[0].trim().slice(0, 60).replace(/[^\w.+/-]/g, '');
    return fail('TYPE_MISMATCH', `The file ${shown} was sent as ${mime}, which does not match its .${format} name.`);
  }

  if (format === 'pdf') {
    if (!hasPdfHeader(bytes)) {
      const sig = sniffBinarySignature(bytes);
      return fail('TYPE_MISMATCH', `The file ${shown} is named .pdf but is ${sig ?? 'not a PDF'} (no "%PDF-" header).`);
    }
    return { ok: true, value: { fileName, format } };
  }

  const text = decodeTextBytes(bytes);
  if (!text.ok) {
    if (text.code === 'EMPTY') return fail('EMPTY', `The file ${shown} contains only whitespace.`);
    if (text.code === 'INVALID_UTF8') return fail('INVALID_UTF8', `The file ${shown} is not UTF-8 text: ${text.message}.`);
    return fail('TYPE_MISMATCH', `The file ${shown} is named .${format} but ${text.message}.`);
  }
  // An .html file without any tags is accepted: it loads as plain text and is harmless.
  return { ok: true, value: { fileName, format } };
}

/**
 * The absolute path for `fileName` directly inside `corpusRoot`, after validating the name
 * again and checking the resolved path is a direct child of the root. Write with flag `wx`
 * (or to a temp file then rename) so an existing symlink at that path is never followed.
 */
export function safeCorpusPath(corpusRoot: string, fileName: string): Result<string, UploadErrorCode> {
  const named = validateFileName(fileName);
  if (!named.ok) return named;
  const root = path.resolve(corpusRoot);
  const target = path.resolve(root, named.value.fileName);
  const rel = path.relative(root, target);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel) || rel.includes(path.sep) || rel.includes('/') || path.dirname(target) !== root) {
    return fail('PATH_TRAVERSAL', `The file name "${displayName(fileName)}" would be saved outside the corpus folder.`);
  }
  return { ok: true, value: target };
}
