/**
 * Byte-level checks shared by the document loaders and the upload validator: file signatures,
 * binary detection, strict UTF-8 decoding, and human-readable sizes.
 */

/** Known binary signatures, checked at offset 0. */
const SIGNATURES: ReadonlyArray<{ magic: number[]; what: string }> = [
  { magic: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF file' }, // %PDF-
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (or a .docx/.xlsx/.epub)' },
  { magic: [0x50, 0x4b, 0x05, 0x06], what: 'a ZIP archive' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { magic: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], what: 'an ELF executable' },
  { magic: [0x1f, 0x8b], what: 'a gzip archive' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], what: 'a RAR archive' },
  { magic: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'an old Office document (.doc/.xls)' },
  { magic: [0x00, 0x61, 0x73, 0x6d], what: 'a WebAssembly module' },
  { magic: [0xcf, 0xfa, 0xed, 0xfe], what: 'a Mach-O executable' },
  { magic: [0x4d, 0x5a, 0x90, 0x00], what: 'a Windows executable' },
];

/** What a known binary signature at the start of `bytes` says the file is, or undefined. */
export function sniffBinarySignature(bytes: Uint8Array): string | undefined {
  for (const { magic, what } of SIGNATURES) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return what;
  }
  return undefined;
}

/** True when `%PDF-` appears in the first 1024 bytes (where the PDF spec allows it). */
export function hasPdfHeader(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024));
  return head.indexOf('%PDF-', 0, 'latin1') !== -1;
}

export type TextCheck =
  | { ok: true; text: string }
  | { ok: false; code: 'BINARY' | 'INVALID_UTF8' | 'EMPTY'; message: string };

/** Share of control characters (other than tab, LF, CR, FF, VT, ESC) above which text counts as binary. */
const MAX_CONTROL_RATIO = 0.1;

/**
 * Decodes bytes that should be UTF-8 text: rejects binary content and invalid UTF-8, strips a
 * BOM and normalizes CRLF/CR to LF. Whitespace-only text is EMPTY.
 */
export function decodeTextBytes(bytes: Uint8Array): TextCheck {
  if (bytes.length === 0) return { ok: false, code: 'EMPTY', message: 'the file is empty (0 bytes)' };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { ok: false, code: 'INVALID_UTF8', message: 'the file is UTF-16 encoded; save it as UTF-8' };
  }
  const sig = sniffBinarySignature(bytes);
  if (sig) return { ok: false, code: 'BINARY', message: `the content looks like ${sig}, not text` };
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { ok: false, code: 'BINARY', message: `the content is binary (NUL byte at offset ${nul}), not text` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = countLines(bytes, at);
    return {
      ok: false,
      code: 'INVALID_UTF8',
      message: `the file is not valid UTF-8 (first bad byte at offset ${at}, line ${line}); save it as UTF-8`,
    };
  }
  text = normalizeNewlines(text);
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0b && c !== 0x0c && c !== 0x1b) || c === 0x7f) control++;
  }
  if (text.length > 0 && control / text.length > MAX_CONTROL_RATIO) {
    return { ok: false, code: 'BINARY', message: 'the content is mostly control characters, not text' };
  }
  if (text.trim() === '') return { ok: false, code: 'EMPTY', message: 'the file contains only whitespace' };
  return { ok: true, text };
}

/** Strips one leading BOM (TextDecoder already drops it; kept for strings from elsewhere) and turns CRLF/CR into LF. */
export function normalizeNewlines(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.replace(/\r\n?/g, '\n');
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let min: number;
    if (b < 0x80) { i++; continue; }
    else if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return i;
}

function countLines(bytes: Uint8Array, end: number): number {
  let n = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** `12.4 MB`, `512 KB`, `37 bytes` (binary multiples, trailing `.0` dropped). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  const s = v >= 100 ? Math.round(v).toString() : v.toFixed(1).replace(/\.0$/, '');
  return `${s} ${units[u]}`;
}
