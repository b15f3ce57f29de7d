"""Late-binding reranking: model runtimes, the candidate cascade and its caches."""
