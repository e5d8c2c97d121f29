/**
 * The LangChain classes Docent runs (the `HNSWLib` store, `Document`, the `Embeddings` base), in
 * one module. Run from the sources (`npm run dev:*`, tests) it simply re-exports the packages;
 * `npm run build` replaces its compiled copy, dist/vendor/langchain.js, with one bundled file
 * (scripts/build.ts), because importing these three through Node's module loader reads
 * ~370 files of @langchain/core, langsmith and zod and took ~0.3 s of every cold `docent ask`;
 * the bundle loads in ~0.06 s. Value imports of LangChain go through here; type imports may name
 * the packages directly (they are erased).
 */
export { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
export { Document } from '@langchain/core/documents';
export { Embeddings } from '@langchain/core/embeddings';
