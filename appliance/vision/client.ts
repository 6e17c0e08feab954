import { Worker } from 'node:worker_threads';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { RgbImage } from './image.js';
import type { AnalyseOptions, AnalyseResult, PipelineSettings } from './pipeline.js';
import type { SerialisedError, WorkerData, WorkerRequest, WorkerResponse, WorkerStatus } from './protocol.js';

function revive(error: SerialisedError): Error {
  if (error.code !== undefined) {
    const revived = new FacegateError(error.code, error.message, { hint: error.hint, params: error.params });
    if (error.stack !== undefined) revived.stack = error.stack;
    return revived;
  }
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

/**
 * Start the worker module next to this one. In production it is compiled JavaScript. Under tests this
 * file is TypeScript, so a small bootstrap registers the tsx loader in the worker first.
 */
function spawnWorker(workerData: WorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  }
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export interface VisionWorkerOptions {
  /**
   * An analysis that takes longer than this is treated as a hung worker: the request fails, the
   * worker is terminated and a new one is started. 10 s by default, far above the tens of
   * milliseconds one frame takes, so only a real hang trips it.
   */
  requestTimeoutMs?: number;
}

interface Waiter {
  resolve: (result: AnalyseResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The vision pipeline in a worker thread, so inference never blocks the main event loop (the watchdog
 * pings and MQTT keepalives live there). Requests are answered in order; the worker runs one at a time.
 * A request that hangs gets the worker replaced, so one stuck inference cannot stop the gate for good.
 */
export class VisionWorker {
  versions: Record<string, string> = {};
  /** Workers replaced after a hung request since start. */
  restarts = 0;
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Waiter>();
  private stopping = false;
  private restarting: Promise<void> | undefined;
  /** See `VisionWorkerOptions.requestTimeoutMs`; takes effect for requests sent after a change. */
  requestTimeoutMs: number;

  constructor(
    private readonly settings: PipelineSettings,
    private readonly logger: Logger,
    options: VisionWorkerOptions = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /** Start the worker and wait until its models are verified, loaded and warmed up. */
  async start(): Promise<void> {
    const worker = spawnWorker({ settings: this.settings, logLevel: this.logger.level });
    this.worker = worker;

    await new Promise<void>((resolve, reject) => {
      const onMessage = (status: WorkerStatus): void => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (status.kind === 'ready') {
          this.versions = status.versions;
          this.logger.info({ warmUpMs: Math.round(status.warmUpMs) }, 'vision worker ready');
          resolve();
        } else {
          reject(revive(status.error));
        }
      };
      const onError = (error: Error): void => reject(error);
      const onExit = (code: number): void => reject(new Error(`vision worker exited with code ${code} before it was ready`));
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });

    worker.on('message', (response: WorkerResponse) => this.settle(response));
    worker.on('error', (error) => {
      this.logger.error({ err: error }, 'vision worker failed');
      if (this.worker === worker) this.failAll(error);
    });
    worker.on('exit', (code) => {
      // A worker replaced after a hung request exits after its successor started; it owns nothing then.
      if (this.worker !== worker) return;
      if (!this.stopping) {
        this.logger.error({ code }, 'vision worker exited unexpectedly');
        this.failAll(new Error(`vision worker exited with code ${code}`));
      }
      this.worker = undefined;
    });
  }

  /** Analyse a raw RGB image. The image's buffer is transferred to the worker and unusable afterwards. */
  analyse(image: RgbImage, options: AnalyseOptions = {}): Promise<AnalyseResult> {
    const id = this.nextId++;
    return this.send({ id, kind: 'analyse', image, options }, [image.data.buffer as ArrayBuffer]);
  }

  /** Decode an encoded JPEG or PNG in the worker and analyse it. */
  analyseEncoded(bytes: Uint8Array, label: string, options: AnalyseOptions = {}): Promise<AnalyseResult> {
    const id = this.nextId++;
    // Copy into a fresh ArrayBuffer, because Buffer#slice returns a view and transferring it would detach the caller's bytes.
    const copy = new Uint8Array(bytes);
    return this.send({ id, kind: 'decode-analyse', bytes: copy, label, options }, [copy.buffer as ArrayBuffer]);
  }

  /** Resolve once a replacement started after a hung request is ready (at once when none is under way). */
  async settled(): Promise<void> {
    await this.restarting;
  }

  get busy(): number {
    return this.pending.size;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (worker === undefined) return;
    this.failAll(new Error('vision worker stopped'));
    await worker.terminate();
    this.worker = undefined;
  }

  private send(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<AnalyseResult> {
    const worker = this.worker;
    if (worker === undefined || this.restarting !== undefined) {
      return Promise.reject(new Error(this.restarting === undefined ? 'vision worker is not running' : 'vision worker is restarting'));
    }
    return new Promise<AnalyseResult>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(request.id), this.requestTimeoutMs);
      this.pending.set(request.id, { resolve, reject, timer });
      worker.postMessage(request, transfer);
    });
  }

  private settle(response: WorkerResponse): void {
    const waiter = this.pending.get(response.id);
    if (waiter === undefined) return;
    this.pending.delete(response.id);
    clearTimeout(waiter.timer);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(revive(response.error));
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }

  private onTimeout(id: number): void {
    if (!this.pending.has(id) || this.restarting !== undefined || this.stopping) return;
    this.restarts += 1;
    this.logger.error(
      { requestId: id, timeoutMs: this.requestTimeoutMs, restarts: this.restarts },
      'vision worker did not answer in time; replacing it',
    );
    this.restarting = this.replaceWorker().finally(() => {
      this.restarting = undefined;
    });
  }

  private async replaceWorker(): Promise<void> {
    const old = this.worker;
    this.stopping = true;
    this.failAll(new Error(`vision analysis timed out after ${this.requestTimeoutMs} ms`));
    if (old !== undefined) await old.terminate();
    this.worker = undefined;
    this.stopping = false;
    try {
      await this.start();
      this.logger.info({ restarts: this.restarts }, 'vision worker replaced');
    } catch (error) {
      this.logger.error({ err: error }, 'vision worker could not be restarted');
    }
  }
}
