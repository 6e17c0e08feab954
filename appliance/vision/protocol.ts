import type { AnalyseOptions, AnalyseResult, PipelineSettings } from './pipeline.js';
import type { RgbImage } from './image.js';

/** Messages between the main thread and the vision worker. */
export type WorkerRequest =
  | { id: number; kind: 'analyse'; image: RgbImage; options: AnalyseOptions }
  | { id: number; kind: 'decode-analyse'; bytes: Uint8Array; label: string; options: AnalyseOptions };

export interface SerialisedError {
  name: string;
  code?: string;
  message: string;
  hint?: string;
  params?: Record<string, string | number>;
  stack?: string;
}

export type WorkerResponse =
  | { id: number; ok: true; result: AnalyseResult }
  | { id: number; ok: false; error: SerialisedError };

export type WorkerStatus =
  | { kind: 'ready'; versions: Record<string, string>; warmUpMs: number }
  | { kind: 'failed'; error: SerialisedError };

export interface WorkerData {
  settings: PipelineSettings;
  logLevel: string;
}
