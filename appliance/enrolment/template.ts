/** Cosine similarity of two embeddings of the same length. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`embeddings have ${a.length} and ${b.length} values; they must be of one length`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(normA * normB);
}

/** Compute the lowest cosine similarity between any two of the embeddings; 1 for fewer than two. */
export function lowestPairScore(embeddings: readonly Float32Array[]): number {
  let lowest = 1;
  for (let i = 0; i < embeddings.length; i++) {
    for (let j = i + 1; j < embeddings.length; j++) lowest = Math.min(lowest, cosine(embeddings[i]!, embeddings[j]!));
  }
  return lowest;
}

/** Average the embeddings and L2-normalise the result, giving one template for all of them. */
export function meanTemplate(embeddings: readonly Float32Array[]): Float32Array {
  const first = embeddings[0];
  if (first === undefined) throw new RangeError('a template needs at least one embedding');
  const sum = new Float64Array(first.length);
  for (const embedding of embeddings) {
    if (embedding.length !== first.length) throw new RangeError(`embeddings have ${first.length} and ${embedding.length} values; they must be of one length`);
    for (let i = 0; i < embedding.length; i++) sum[i]! += embedding[i]!;
  }
  let norm = 0;
  for (const value of sum) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm === 0) throw new RangeError('the embeddings cancel out; their mean has no direction');
  return Float32Array.from(sum, (value) => value / norm);
}
