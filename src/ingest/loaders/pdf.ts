import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { DEFAULT_PARSE_LIMITS, limitMessage, type LimitCode, type ParseLimits } from './limits.js';
import { inflatedStreamBytes } from './pdf-streams.js';
import { esmEntryUrl } from './worker-start.js';

export type PdfExtract =
  | { ok: true; text: string; title: string | undefined; meta: Record<string, string> }
  | { ok: false; code: 'PARSE_FAILED' | 'EMPTY' | LimitCode; message: string };

/**
 * Extracts text page by page (pages joined by a blank line) plus the Title/Author/Subject
 * metadata, on the calling thread: the loaders call it in a worker (`pdf-isolate.ts`), which the
 * wall-clock and heap limits apply to. Checked here: the inflated size of the compressed streams,
 * the page count and the extracted text's length. A corrupt file is PARSE_FAILED with the parser's
 * reason; no text at all is EMPTY.
 */
export async function extractPdf(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<PdfExtract> {
  const inflated = await inflatedStreamBytes(bytes, limits.memoryMb * 1024 * 1024);
  if (inflated > limits.memoryMb * 1024 * 1024) return { ok: false, code: 'TOO_MUCH_MEMORY', message: limitMessage.inflated(limits) };
  // loaded on first use: pdf.js and its canvas binding cost ~1.4 s and ~180 MB to import
  const { PDFParse } = await import('pdf-parse');
  // pdf.js may take ownership of (transfer) the array, so give it a copy.
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
  try {
    const info = await parser.getInfo();
    if (info.total > limits.maxPages) return { ok: false, code: 'TOO_MANY_PAGES', message: limitMessage.pages(info.total, limits) };
    const pages: string[] = [];
    let chars = 0;
    for (let page = 1; page <= info.total; page++) {
      const text = tidyPage((await parser.getText({ partial: [page] })).pages[0]?.text ?? '');
      chars += text.length + 2;
      if (chars > limits.maxTextChars) return { ok: false, code: 'TOO_MUCH_TEXT', message: limitMessage.text(limits) };
      if (text) pages.push(text);
    }
    const text = pages.join('\n\n');
    if (!text.trim()) {
      return {
        ok: false,
        code: 'EMPTY',
        message: 'the PDF has no extractable text; it may be a scanned image (run OCR on it first)',
      };
    }
    const meta: Record<string, string> = {};
    const fields = info.info as Record<string, unknown> | undefined;
    const str = (k: string) => (typeof fields?.[k] === 'string' ? (fields[k] as string).replace(/\s+/g, ' ').trim() : '');
    const title = str('Title') || undefined;
    if (str('Author')) meta.author = str('Author');
    if (str('Subject')) meta.description = str('Subject');
    const created = /^D:(\d{4})(\d{2})(\d{2})/.exec(str('CreationDate'));
    if (created) meta.date = `${created[1]}-${created[2]}-${created[3]}`;
    return { ok: true, text, title, meta };
  } catch (err) {
    return { ok: false, code: 'PARSE_FAILED', message: `the PDF could not be read: ${reason(err)}` };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * pdf-parse's ES module and pdf.js's worker module (which pdf.js, finding it loaded, uses instead of
 * importing it at the first document): the worker loads both before its clock starts.
 */
export function pdfModuleUrls(fromUrl: string): string[] {
  const pdfParse = esmEntryUrl('pdf-parse', fromUrl);
  return [pdfParse, pathToFileURL(createRequire(pdfParse).resolve('pdfjs-dist/legacy/build/pdf.worker.mjs')).href];
}

function tidyPage(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function reason(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  const msg = err instanceof Error ? err.message : String(err);
  if (name === 'PasswordException' || /password/i.test(msg)) return 'it is password-protected';
  return msg.split('\n')[0].slice(0, 200) || 'unknown error';
}
