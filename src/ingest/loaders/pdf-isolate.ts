import { Worker } from 'node:worker_threads';
import { limitMessage, type ParseLimits } from './limits.js';
import { pdfModuleUrls, type PdfExtract } from './pdf.js';
import { workerStart } from './worker-start.js';
import type { PdfJob, PdfWorkerMessage } from './pdf-worker.js';

/**
 * PDFs are read in a worker thread: pdf.js runs synchronously for as long as a file makes it
 * (20,000 pages pointing at one page object froze the bot for 61 s; a timer on the same thread
 * never fired), so the thread that answers questions only waits for a message. The worker has a
 * heap limit (`resourceLimits`), a wall-clock limit that terminates it, and a watch on the
 * process's memory (pdf.js decodes streams into ArrayBuffers, outside the heap); a worker that
 * hits one is replaced for the next file. One worker serves one file at a time and ends after a
 * few idle seconds; it never keeps the process alive.
 */

const IDLE_MS = 5_000;
const WATCH_MS = 50;
/** pdf.js's import before a job starts is trusted code, but must not hang a build either. */
const START_LIMIT_MS = 120_000;

interface Running {
  worker: Worker;
  memoryMb: number;
}

let running: Running | null = null;
let idle: NodeJS.Timeout | undefined;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 1;

function spawn(memoryMb: number): Running {
  const start = workerStart(import.meta.url, 'pdf-worker', pdfModuleUrls(import.meta.url));
  const worker = new Worker(start.script, {
    eval: start.eval,
    resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, memoryMb >> 3)) },
    stdout: true,
    stderr: true,
  });
  worker.unref();
  // pdf.js's own console warnings about broken files are not the host's output
  worker.stdout.resume();
  worker.stderr.resume();
  const r = { worker, memoryMb };
  worker.once('exit', () => {
    if (running === r) running = null;
  });
  return r;
}

function stop(r: Running): void {
  if (running === r) running = null;
  void r.worker.terminate();
}

/** Extracts a PDF in the worker, within `limits`. Never throws; one file at a time. */
export function extractPdfIsolated(bytes: Uint8Array, limits: ParseLimits, hooks: { onStart?: () => void } = {}): Promise<PdfExtract> {
  const job = queue.then(() => runJob(bytes, limits, hooks));
  queue = job.catch(() => undefined);
  return job;
}

function runJob(bytes: Uint8Array, limits: ParseLimits, hooks: { onStart?: () => void }): Promise<PdfExtract> {
  clearTimeout(idle);
  if (running && running.memoryMb !== limits.memoryMb) stop(running);
  const r = (running ??= spawn(limits.memoryMb));
  const id = nextId++;
  return new Promise<PdfExtract>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let watch: NodeJS.Timeout | undefined;
    const finish = (result: PdfExtract, kill: boolean) => {
      clearTimeout(timer);
      clearInterval(watch);
      r.worker.off('message', onMessage);
      r.worker.off('error', onError);
      r.worker.off('exit', onExit);
      if (kill) stop(r);
      else idle = setTimeout(() => stop(r), IDLE_MS).unref();
      resolve(result);
    };
    const onMessage = (m: PdfWorkerMessage) => {
      if (m.id !== id) return;
      if (m.type === 'started') {
        clearTimeout(timer);
        timer = setTimeout(() => finish({ ok: false, code: 'PARSE_TIMEOUT', message: limitMessage.timeout(limits) }, true), limits.timeoutMs);
        // pdf.js decodes into ArrayBuffers, which the heap limit does not count: the process may
        // grow by the worker's heap and as much again, no more
        const base = process.memoryUsage.rss();
        const max = 2 * limits.memoryMb * 1024 * 1024;
        watch = setInterval(() => {
          if (process.memoryUsage.rss() - base > max) finish({ ok: false, code: 'TOO_MUCH_MEMORY', message: limitMessage.memory(limits) }, true);
        }, WATCH_MS);
        hooks.onStart?.();
      } else {
        finish(m.result, false);
      }
    };
    const onError = (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ ok: false, code: 'TOO_MUCH_MEMORY', message: limitMessage.memory(limits) }, true);
      else finish({ ok: false, code: 'PARSE_FAILED', message: `the PDF reader failed: ${err.message.split('\n')[0].slice(0, 200)}` }, true);
    };
    const onExit = (code: number) => finish({ ok: false, code: 'PARSE_FAILED', message: `the PDF reader stopped (exit code ${code})` }, false);
    r.worker.on('message', onMessage);
    r.worker.on('error', onError);
    r.worker.on('exit', onExit);
    timer = setTimeout(() => finish({ ok: false, code: 'PARSE_FAILED', message: 'the PDF reader did not start' }, true), START_LIMIT_MS + limits.timeoutMs);
    const copy = new Uint8Array(bytes);
    r.worker.postMessage({ id, bytes: copy, limits } satisfies PdfJob, [copy.buffer]);
  });
}
