import { performance } from 'node:perf_hooks';
import type { Logger } from '../common/logger.js';
import { modelsDir as defaultModelsDir } from '../common/paths.js';
import { alignmentTransform } from './align.js';
import { DEFAULT_DETECT_OPTIONS, boxArea, detectFaces, type DetectOptions } from './detect.js';
import { embedFace, embedFaceWithNorm, featureInput } from './embed.js';
import type { Box, Point, RgbImage } from './image.js';
import { fivePoints, predictLandmarks } from './landmarks.js';
import { scoreLiveness } from './liveness.js';
import { MODEL_NAMES, loadVerifiedModel, modelVersions, readManifest, type ModelName } from './models.js';
import { DEFAULT_QUALITY, assessQuality, checkFeatureStrength, type QualityReport, type QualityThresholds } from './quality.js';
import { shrinkImage } from './shrink.js';
import { createSession, type ModelSession } from './session.js';

export interface PipelineSettings {
  modelsDir?: string;
  detect?: Partial<DetectOptions>;
  quality?: Partial<QualityThresholds>;
}

export interface AnalyseOptions {
  /** How many of the largest faces get landmarks, quality, liveness and embedding. */
  maxFaces?: number;
  liveness?: boolean;
  /** Compute the embedding even when the quality gate fails (the benchmark needs it; the gate never does). */
  embedDespiteQuality?: boolean;
  /**
   * Which faces come first: `largest` for a gate camera, where the nearest person is the biggest face;
   * `central` for portrait photos such as LFW, where the subject is centred and bystanders can be larger.
   */
  order?: 'largest' | 'central';
}

export interface FaceResult {
  box: Box;
  detectionScore: number;
  landmarks: Point[];
  points: Point[];
  quality: QualityReport;
  /** Probability that the face is live; null when liveness was not requested. */
  liveness: number | null;
  /** L2-normalised embedding; null when the quality gate failed. */
  embedding: Float32Array | null;
}

export type StageName = 'detect' | 'landmarks' | 'align' | 'quality' | 'liveness' | 'embed';

export interface AnalyseResult {
  width: number;
  height: number;
  /** Every detected face, in the requested order. Only the first `maxFaces` carry analysis in `faces`. */
  detections: Array<Box & { score: number }>;
  faces: FaceResult[];
  timings: Partial<Record<StageName, number>>;
}

/** The aligned crop keeps full detail when the face is at most this many pixels tall; larger faces are shrunk first. */
const MAX_FACE_SIDE = 256;

/**
 * The on-device recognition pipeline: detect → landmarks → five points → alignment → quality gate →
 * liveness → embedding. Sessions are created once and warmed up by `create`.
 */
export class FacePipeline {
  readonly versions: Record<ModelName, string>;
  private readonly sessions: Record<ModelName, ModelSession>;
  private readonly detectOptions: DetectOptions;
  private readonly quality: QualityThresholds;

  private constructor(
    sessions: Record<ModelName, ModelSession>,
    versions: Record<ModelName, string>,
    settings: PipelineSettings,
  ) {
    this.sessions = sessions;
    this.versions = versions;
    this.detectOptions = { ...DEFAULT_DETECT_OPTIONS, ...settings.detect };
    this.quality = { ...DEFAULT_QUALITY, ...settings.quality };
  }

  static async create(settings: PipelineSettings, logger: Logger): Promise<FacePipeline> {
    const dir = settings.modelsDir ?? defaultModelsDir();
    const manifest = await readManifest();
    const sessions = {} as Record<ModelName, ModelSession>;
    for (const name of MODEL_NAMES) {
      const bytes = await loadVerifiedModel(dir, name, manifest);
      sessions[name] = await createSession(name, bytes, logger);
    }
    const pipeline = new FacePipeline(sessions, modelVersions(manifest), settings);
    const started = performance.now();
    await pipeline.warmUp();
    logger.info({ warmUpMs: Math.round(performance.now() - started), models: pipeline.versions }, 'vision pipeline ready');
    return pipeline;
  }

  /** Run every model once on a synthetic image, so the first real frame does not pay for lazy initialisation. */
  async warmUp(): Promise<void> {
    const width = 320;
    const height = 240;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const image = { width, height, data };
    await detectFaces(this.sessions.fr_detect, image, this.detectOptions);
    const box = { x1: 100, y1: 60, x2: 220, y2: 200 };
    const landmarks = await predictLandmarks(this.sessions.fr_landmark, image, box);
    await scoreLiveness(this.sessions.fr_liveness, image, box);
    await embedFace(this.sessions.fr_feature, featureInput(image, alignmentTransform(fivePoints(landmarks))));
  }

  async analyse(image: RgbImage, options: AnalyseOptions = {}): Promise<AnalyseResult> {
    const timings: Partial<Record<StageName, number>> = {};
    const time = async <T>(stage: StageName, work: () => Promise<T> | T): Promise<T> => {
      const started = performance.now();
      const result = await work();
      timings[stage] = (timings[stage] ?? 0) + performance.now() - started;
      return result;
    };

    const detections = await time('detect', () => detectFaces(this.sessions.fr_detect, image, this.detectOptions));
    if (options.order === 'central') {
      const offCentre = (box: Box): number =>
        Math.hypot((box.x1 + box.x2) / 2 - image.width / 2, (box.y1 + box.y2) / 2 - image.height / 2);
      detections.sort((a, b) => offCentre(a) - offCentre(b));
    } else {
      detections.sort((a, b) => boxArea(b) - boxArea(a));
    }
    const faces: FaceResult[] = [];
    for (const detection of detections.slice(0, options.maxFaces ?? 1)) {
      faces.push(await this.analyseFace(image, detection, options, time));
    }
    return { width: image.width, height: image.height, detections, faces, timings };
  }

  private async analyseFace(
    image: RgbImage,
    detection: Box & { score: number },
    options: AnalyseOptions,
    time: <T>(stage: StageName, work: () => Promise<T> | T) => Promise<T>,
  ): Promise<FaceResult> {
    const side = detection.y2 - detection.y1;
    // Shrink large faces by area averaging so the 64 px and 112 px crops do not alias.
    let source = image;
    let factor = 1;
    if (side > MAX_FACE_SIDE) {
      factor = side / (MAX_FACE_SIDE / 2);
      source = await time('align', () => shrinkImage(image, factor));
      factor = image.width / source.width;
    }
    const box = { x1: detection.x1 / factor, y1: detection.y1 / factor, x2: detection.x2 / factor, y2: detection.y2 / factor };

    const landmarks = await time('landmarks', () => predictLandmarks(this.sessions.fr_landmark, source, box));
    const points = fivePoints(landmarks);
    const tensor = await time('align', () => featureInput(source, alignmentTransform(points)));
    const scaleUp = (p: Point): Point => ({ x: p.x * factor, y: p.y * factor });
    const fullLandmarks = factor === 1 ? landmarks : landmarks.map(scaleUp);
    const fullPoints = factor === 1 ? points : points.map(scaleUp);
    let quality = await time('quality', () => assessQuality(fullLandmarks, fullPoints, tensor, this.quality));

    let liveness: number | null = null;
    if (options.liveness !== false) {
      liveness = await time('liveness', () => scoreLiveness(this.sessions.fr_liveness, source, box));
    }
    let embedding: Float32Array | null = null;
    if (quality.ok || options.embedDespiteQuality) {
      const embedded = await time('embed', () => embedFaceWithNorm(this.sessions.fr_feature, tensor));
      quality = checkFeatureStrength(quality, embedded.norm, this.quality);
      if (quality.ok || options.embedDespiteQuality) embedding = embedded.embedding;
    }
    return {
      box: { x1: detection.x1, y1: detection.y1, x2: detection.x2, y2: detection.y2 },
      detectionScore: detection.score,
      landmarks: fullLandmarks,
      points: fullPoints,
      quality,
      liveness,
      embedding,
    };
  }

  async close(): Promise<void> {
    for (const name of MODEL_NAMES) await this.sessions[name].session.release();
  }
}
