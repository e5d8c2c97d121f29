/**
 * The worker thread that reads PDFs (started by `pdf-isolate.ts`). One job at a time: it says
 * `started` once pdf.js is loaded (the wall-clock limit runs from there; loading it is ours, not
 * the file's), then `done` with the extract.
 */
import { parentPort } from 'node:worker_threads';
import type { ParseLimits } from './limits.js';
import { extractPdf, pdfModuleUrls } from './pdf.js';

export interface PdfJob {
  id: number;
  bytes: Uint8Array;
  limits: ParseLimits;
}

export type PdfWorkerMessage = { id: number; type: 'started' } | { id: number; type: 'done'; result: Awaited<ReturnType<typeof extractPdf>> };

const port = parentPort;
if (port) {
  port.on('message', (job: PdfJob) => {
    void (async () => {
      for (const url of pdfModuleUrls(import.meta.url)) await import(url);
      port.postMessage({ id: job.id, type: 'started' } satisfies PdfWorkerMessage);
      const result = await extractPdf(job.bytes, job.limits);
      port.postMessage({ id: job.id, type: 'done', result } satisfies PdfWorkerMessage);
    })();
  });
}
