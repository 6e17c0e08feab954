import { FacegateError } from '../common/errors.js';
import type { AnalyseResult, FaceResult } from '../vision/pipeline.js';

const describeBox = (box: { x1: number; y1: number; x2: number; y2: number }): string =>
  `(${Math.round(box.x1)},${Math.round(box.y1)})-(${Math.round(box.x2)},${Math.round(box.y2)})`;

/**
 * The one face a photo command works on. No face, several faces without `faceIndex`, and a face that
 * fails the quality gate each raise a FacegateError whose code the CLI localises.
 */
export function selectSingleFace(result: AnalyseResult, label: string, faceIndex?: number): FaceResult {
  const count = result.detections.length;
  if (count === 0) {
    throw new FacegateError('face.none', `no face found in ${label}`, {
      hint: 'Use a photo where the face is clearly visible, facing the camera.',
      params: { file: label },
    });
  }
  if (faceIndex === undefined && count > 1) {
    const boxes = result.detections.map((d, i) => `${i + 1}: ${describeBox(d)}`).join(', ');
    throw new FacegateError('face.several', `${label} shows ${count} faces (${boxes}); which one?`, {
      hint: 'Pass --face N to choose one (1 is the largest), or crop the photo to one person.',
      params: { file: label, count, boxes },
    });
  }
  const index = (faceIndex ?? 1) - 1;
  const face = result.faces[index];
  if (face === undefined) {
    throw new FacegateError('face.index', `${label} has ${count} faces; --face ${faceIndex} is out of range`, {
      hint: `Choose --face between 1 and ${count}.`,
      params: { file: label, count, index: faceIndex ?? 1 },
    });
  }
  if (!face.quality.ok) {
    const q = face.quality;
    const details = q.reasons
      .map((reason) => {
        switch (reason) {
          case 'too-small': return `too small (eyes ${q.interEyePx.toFixed(0)} px apart)`;
          case 'too-blurry': return `too blurry (sharpness ${q.sharpness.toFixed(1)})`;
          case 'too-dark': return `too dark (mean grey ${q.brightness.toFixed(0)})`;
          case 'too-bright': return `too bright (mean grey ${q.brightness.toFixed(0)})`;
          case 'pose-yaw': return `head turned sideways (yaw about ${q.pose.yaw.toFixed(0)}°)`;
          case 'pose-pitch': return `head tilted up or down (pitch about ${q.pose.pitch.toFixed(0)}°)`;
          case 'pose-roll': return `head tilted sideways (roll about ${q.pose.roll.toFixed(0)}°)`;
          case 'weak-features': return `face not recognisable as upright (feature strength ${(q.featureNorm ?? 0).toFixed(2)})`;
        }
      })
      .join(', ');
    throw new FacegateError(`face.quality.${q.reasons[0]}`, `the face in ${label} fails the quality gate: ${details}`, {
      hint: 'Use a sharper, well-lit photo taken from the front, with the face large in the frame.',
      params: {
        file: label,
        reasons: q.reasons.join(','),
        details,
        interEyePx: Math.round(q.interEyePx),
        sharpness: q.sharpness.toFixed(1),
        brightness: Math.round(q.brightness),
        yaw: Math.round(q.pose.yaw),
        pitch: Math.round(q.pose.pitch),
        roll: Math.round(q.pose.roll),
        featureNorm: (q.featureNorm ?? 0).toFixed(2),
      },
    });
  }
  return face;
}
