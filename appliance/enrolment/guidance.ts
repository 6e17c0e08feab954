import type { AnalyseResult, FaceResult } from '../vision/pipeline.js';
import type { QualityReason } from '../vision/quality.js';

/**
 * The instruction shown to the worker for one analysed frame, most urgent first. `good` means the
 * frame passed every check and counts towards the capture. `person-changed` comes from the capture
 * session, when a good frame shows someone else than the frames before it.
 */
export const GUIDANCE = [
  'no-face',
  'several-faces',
  'too-far',
  'too-dark',
  'too-bright',
  'face-camera',
  'hold-still',
  'not-live',
  'person-changed',
  'good',
] as const;
export type Guidance = (typeof GUIDANCE)[number];

/**
 * A second face counts as another person in front of the camera when its box is at least this
 * fraction of the largest face's height. Smaller faces are people walking by far behind the worker.
 */
export const BYSTANDER_HEIGHT_RATIO = 0.5;

const QUALITY_GUIDANCE: Record<QualityReason, 'too-far' | 'too-dark' | 'too-bright' | 'hold-still' | 'face-camera'> = {
  'too-small': 'too-far',
  'too-dark': 'too-dark',
  'too-bright': 'too-bright',
  'too-blurry': 'hold-still',
  'pose-yaw': 'face-camera',
  'pose-pitch': 'face-camera',
  'pose-roll': 'face-camera',
  'weak-features': 'face-camera',
};

export type FrameVerdict =
  | { guidance: Exclude<Guidance, 'good' | 'person-changed'>; face: FaceResult | undefined }
  | { guidance: 'good'; face: FaceResult & { embedding: Float32Array } };

/**
 * Judge one analysed frame for enrolment: exactly one face near the camera, the quality gate passed
 * (its first reason becomes the instruction, as the quality gate orders them) and a liveness score
 * at or above `livenessThreshold`. A face without a liveness score fails, so a pipeline run without
 * liveness can never enrol anyone.
 */
export function judgeFrame(result: AnalyseResult, livenessThreshold: number): FrameVerdict {
  const largest = result.detections.reduce((max, box) => Math.max(max, box.y2 - box.y1), 0);
  const near = result.detections.filter((box) => box.y2 - box.y1 >= largest * BYSTANDER_HEIGHT_RATIO);
  const face = result.faces[0];
  if (result.detections.length === 0 || face === undefined) return { guidance: 'no-face', face: undefined };
  if (near.length > 1) return { guidance: 'several-faces', face };

  const reason = face.quality.reasons[0];
  if (reason !== undefined) return { guidance: QUALITY_GUIDANCE[reason], face };
  if (face.liveness === null || face.liveness < livenessThreshold) return { guidance: 'not-live', face };
  if (face.embedding === null) return { guidance: 'hold-still', face };
  return { guidance: 'good', face: face as FaceResult & { embedding: Float32Array } };
}
