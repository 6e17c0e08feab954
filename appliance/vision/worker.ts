import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../common/logger.js';
import { isFacegateError } from '../common/errors.js';
import { decodeImage } from './decode.js';
import { FacePipeline } from './pipeline.js';
import type { SerialisedError, WorkerData, WorkerRequest, WorkerResponse, WorkerStatus } from './protocol.js';

// Entry point of the vision worker thread: owns the ONNX sessions and runs one request at a time.

function serialise(error: unknown): SerialisedError {
  if (isFacegateError(error)) {
    return { name: error.name, code: error.code, message: error.message, hint: error.hint, params: error.params, stack: error.stack };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker.ts must run in a worker thread');
  const data = workerData as WorkerData;
  const logger = createLogger({ level: data.logLevel, name: 'facegate.vision' });

  let pipeline: FacePipeline;
  try {
    const started = performance.now();
    pipeline = await FacePipeline.create(data.settings, logger);
    const status: WorkerStatus = { kind: 'ready', versions: pipeline.versions, warmUpMs: performance.now() - started };
    port.postMessage(status);
  } catch (error) {
    const status: WorkerStatus = { kind: 'failed', error: serialise(error) };
    port.postMessage(status);
    return;
  }

  port.on('message', (request: WorkerRequest) => {
    void handle(request).then((response) => {
      const transfer: ArrayBuffer[] = [];
      if (response.ok) {
        for (const face of response.result.faces) {
          if (face.embedding !== null) transfer.push(face.embedding.buffer as ArrayBuffer);
        }
      }
      port.postMessage(response, transfer);
    });
  });

  async function handle(request: WorkerRequest): Promise<WorkerResponse> {
    try {
      const image = request.kind === 'analyse' ? request.image : await decodeImage(request.bytes, request.label);
      const result = await pipeline.analyse(image, request.options);
      return { id: request.id, ok: true, result };
    } catch (error) {
      return { id: request.id, ok: false, error: serialise(error) };
    }
  }
}

void main();
