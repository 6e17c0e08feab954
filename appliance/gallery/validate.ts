import { FacegateError } from '../common/errors.js';

const SUBJECT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Raise GALLERY_SUBJECT_ID_INVALID unless the id is 1 to 64 characters of `A-Z a-z 0-9 . _ -`. */
export function validateSubjectId(subjectId: string): void {
  if (typeof subjectId !== 'string' || !SUBJECT_ID_PATTERN.test(subjectId)) {
    throw new FacegateError(
      'GALLERY_SUBJECT_ID_INVALID',
      `Subject id ${JSON.stringify(subjectId)} is invalid; expected 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'.`,
      { hint: 'Use the worker id from the roster, without spaces or other punctuation.', params: { subject: String(subjectId) } },
    );
  }
}

/**
 * Raise EMBEDDING_INVALID unless the embedding is a Float32Array of `dimension` finite values
 * that are not all zero. `label` names the embedding in the message.
 */
export function validateEmbedding(embedding: Float32Array, dimension: number, label: string): void {
  if (!(embedding instanceof Float32Array)) {
    throw invalid(`${label} is not a Float32Array`, label);
  }
  if (embedding.length !== dimension) {
    throw invalid(`${label} has ${embedding.length} values, expected ${dimension}`, label);
  }
  let sumOfSquares = 0;
  for (let i = 0; i < embedding.length; i++) {
    const value = embedding[i]!;
    if (!Number.isFinite(value)) throw invalid(`${label} has the non-finite value ${value} at index ${i}`, label);
    sumOfSquares += value * value;
  }
  if (sumOfSquares === 0) throw invalid(`${label} is all zeros`, label);
}

function invalid(message: string, label: string): FacegateError {
  return new FacegateError('EMBEDDING_INVALID', `Embedding rejected: ${message}.`, {
    hint: 'Pass the output of the embedding model unchanged; check that the model version matches the gallery.',
    params: { label },
  });
}
