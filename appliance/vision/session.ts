import * as ort from 'onnxruntime-node';
import type { Logger } from '../common/logger.js';
import { FacegateError, errorMessage } from '../common/errors.js';

export type { ort };

/**
 * Session options for a device with few cores running four models in sequence: one intra-op thread and
 * no spinning, because several sessions with default thread pools spin against each other on two cores
 * and double the latency.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

export interface ModelSession {
  name: string;
  session: ort.InferenceSession;
  inputName: string;
  run(input: Float32Array, dims: readonly number[]): Promise<Record<string, Float32Array>>;
}

export async function createSession(name: string, bytes: Uint8Array, logger: Logger): Promise<ModelSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  } catch (error) {
    throw new FacegateError('model.invalid', `model ${name} could not be loaded by onnxruntime: ${errorMessage(error)}`, {
      hint: 'Run make setup to fetch the models again.',
      params: { model: name, detail: errorMessage(error) },
      cause: error,
    });
  }
  const inputName = session.inputNames[0]!;
  logger.info(
    { model: name, executionProvider: 'cpu', inputs: session.inputNames, outputs: session.outputNames, ortVersion: ort.env.versions.common },
    'model session created',
  );
  return {
    name,
    session,
    inputName,
    async run(input, dims) {
      const tensor = new ort.Tensor('float32', input, dims);
      const results = await session.run({ [inputName]: tensor });
      const out: Record<string, Float32Array> = {};
      for (const [key, value] of Object.entries(results)) out[key] = value.data as Float32Array;
      tensor.dispose();
      return out;
    },
  };
}
