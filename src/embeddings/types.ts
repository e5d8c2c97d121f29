import type { Embeddings } from '@langchain/core/embeddings';

/**
 * Every Docent embedder: a LangChain `Embeddings` with a stable id (recorded in the index
 * manifest so an index is never searched with vectors of another model) and its vector size.
 */
export interface DocentEmbeddings extends Embeddings {
  /** Stable id, e.g. `glove:wink-sg-100d:v1`, `hash:256`, `ollama:nomic-embed-text`. */
  readonly id: string;
  readonly dimensions: number;
}
