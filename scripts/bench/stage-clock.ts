import type { BuildProgress } from '../../src/ingest/build.js';

/** Stage timings from buildIndex's progress events. */
export function stageClock() {
  const t0 = performance.now();
  const firstAt = new Map<string, number>();
  let indexDone1 = 0;
  let indexDone0 = 0;
  let indexDone2 = 0;
  return {
    onProgress: (p: BuildProgress) => {
      const now = performance.now();
      if (!firstAt.has(p.stage)) firstAt.set(p.stage, now);
      if (p.stage === 'index' && p.done === 0) indexDone0 = now;
      if (p.stage === 'index' && p.done === 1) indexDone1 = now;
      if (p.stage === 'index' && p.done === 2) indexDone2 = now;
    },
    result(end: number) {
      const order = ['load', 'chunk', 'embed', 'index', 'write'];
      const stages: Record<string, number> = {};
      let prev = t0;
      for (let i = 0; i < order.length; i++) {
        const start = i === 0 ? t0 : firstAt.get(order[i]);
        if (start === undefined) continue;
        const nextStart = order.slice(i + 1).map((s) => firstAt.get(s)).find((x) => x !== undefined) ?? end;
        stages[order[i]] = Math.round(nextStart - start);
        prev = nextStart;
      }
      void prev;
      return { stages, hnsw: indexDone1 - indexDone0, bm25: indexDone2 - indexDone1 };
    },
  };
}
