import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../appliance/common/logger.js';
import { DEFAULT_LIVENESS_THRESHOLD } from '../appliance/recognition/recognizer.js';
import { decodeImageFile } from '../appliance/vision/decode.js';
import { FacePipeline } from '../appliance/vision/pipeline.js';
import { round, runRecord, type RunRecord } from './record.js';

export interface LivenessRow {
  file: string;
  label: string;
  attackType: string;
  score: number | null;
  verdict: 'live' | 'attack' | 'no-face';
  correct: boolean;
}

export interface LivenessResult {
  run: RunRecord;
  threshold: number;
  rows: LivenessRow[];
  correct: number;
}

/** Liveness score of every sample listed in a spoof `labels.csv` (columns file,label,attack_type,...). */
export async function runLivenessBenchmark(spoofDir: string, command: string, logger: Logger): Promise<LivenessResult> {
  const lines = fs.readFileSync(path.join(spoofDir, 'labels.csv'), 'utf8').trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const column = (name: string): number => header.indexOf(name);
  const pipeline = await FacePipeline.create({}, logger);
  const rows: LivenessRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const file = cells[column('file')]!;
    const label = cells[column('label')]!;
    const result = await pipeline.analyse(await decodeImageFile(path.join(spoofDir, file)));
    const score = result.faces[0]?.liveness ?? null;
    const verdict = score === null ? 'no-face' : score >= DEFAULT_LIVENESS_THRESHOLD ? 'live' : 'attack';
    rows.push({
      file,
      label,
      attackType: cells[column('attack_type')] ?? '',
      score: score === null ? null : round(score, 4),
      verdict,
      correct: (label === 'real') === (verdict === 'live'),
    });
  }
  await pipeline.close();
  return { run: runRecord(command), threshold: DEFAULT_LIVENESS_THRESHOLD, rows, correct: rows.filter((r) => r.correct).length };
}
