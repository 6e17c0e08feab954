import type { IdentityOutcome } from '../recognition/decide.js';
import type { Box } from '../vision/image.js';
import type { FaceObservation } from './types.js';

// Builders for decision tests: faces with chosen boxes, embeddings and match outcomes.

export const CENTRE_BOX: Box = { x1: 270, y1: 170, x2: 370, y2: 300 };

/** A unit vector along axis `axis`, so two people on different axes have cosine 0. */
export function unitVector(axis: number, dimension = 8): Float32Array {
  const vector = new Float32Array(dimension);
  vector[axis % dimension] = 1;
  return vector;
}

export function matched(subjectId: string, score = 0.6, margin = 0.3, threshold = 0.3): IdentityOutcome {
  return {
    decision: 'match',
    best: { subjectId, templateId: `${subjectId}-t1`, score },
    second: { subjectId: 'other', templateId: 'other-t1', score: score - margin },
    margin,
    threshold,
  };
}

export function ambiguous(subjectId: string, score = 0.5, margin = 0.01, threshold = 0.3): IdentityOutcome {
  return { ...matched(subjectId, score, margin, threshold), decision: 'ambiguous' };
}

export function noMatch(bestScore = 0.1, threshold = 0.3): IdentityOutcome {
  return {
    decision: 'unknown',
    best: { subjectId: 'someone', templateId: 'someone-t1', score: bestScore },
    second: undefined,
    margin: undefined,
    threshold,
  };
}

export interface FaceOptions {
  box?: Box;
  liveness?: number | null;
  qualityOk?: boolean;
  /** Which person this is, for the embedding; 0 by default. */
  person?: number;
  identity?: IdentityOutcome;
}

export function face(options: FaceOptions = {}): FaceObservation {
  const qualityOk = options.qualityOk ?? true;
  return {
    box: options.box ?? CENTRE_BOX,
    qualityOk,
    qualityReasons: qualityOk ? [] : ['too-blurry'],
    liveness: options.liveness === undefined ? 0.95 : options.liveness,
    embedding: qualityOk ? unitVector(options.person ?? 0) : null,
    identity: qualityOk ? (options.identity ?? noMatch()) : undefined,
  };
}

export function shifted(box: Box, dx: number, dy = 0): Box {
  return { x1: box.x1 + dx, y1: box.y1 + dy, x2: box.x2 + dx, y2: box.y2 + dy };
}
