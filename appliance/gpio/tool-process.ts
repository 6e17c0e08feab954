import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../common/logger.js';

/** Outcome of a one-shot tool run. `spawnError` is set when the program could not be started at all. */
export interface ToolRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: NodeJS.ErrnoException;
}

/** Run a short-lived tool (`gpioinfo`, `gpioget`) and collect its output; never rejects. */
export function runTool(command: string, args: string[], timeoutMs: number): Promise<ToolRunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') {
        resolve({ code: null, stdout, stderr, spawnError: error as NodeJS.ErrnoException });
        return;
      }
      let code: number | null = 0;
      if (error) code = typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Check whether a process has a GPIO line request open, seen as an `anon_inode:gpio-…` descriptor in /proc. */
export async function holdsGpioRequest(procRoot: string, pid: number): Promise<boolean> {
  const fdDir = path.join(procRoot, String(pid), 'fd');
  let entries: string[];
  try {
    entries = await readdir(fdDir);
  } catch {
    return false;
  }
  for (const entry of entries) {
    try {
      // uAPI v1 names the inode gpio-linehandle or gpio-event, uAPI v2 names it gpio-line.
      if (/^anon_inode:\[?gpio-/.test(await readlink(path.join(fdDir, entry)))) return true;
    } catch {
      // The descriptor closed between readdir and readlink.
    }
  }
  return false;
}

export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export class ToolStartError extends Error {
  constructor(
    message: string,
    readonly exit: ToolExit | undefined,
    readonly spawnError: NodeJS.ErrnoException | undefined,
  ) {
    super(message);
    this.name = 'ToolStartError';
  }
}

export interface ToolProcessOptions {
  command: string;
  args: string[];
  logger: Logger;
  /** Root of the proc filesystem, replaced by a temporary tree in tests. */
  procRoot: string;
  /** How long the tool may take to request its line before start() fails. */
  readyTimeoutMs: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  killTimeoutMs?: number;
}

const READY_POLL_MS = 5;
const STDERR_KEEP_CHARS = 4096;

/**
 * A long-running libgpiod tool (`gpioset` holding a line, `gpiomon` watching one) under supervision.
 * start() resolves only once the process has requested its line, so a set value is known to be driven.
 * Events: `line` for each standard output line, `exit` for an exit that stop() did not cause.
 */
export class ToolProcess extends EventEmitter {
  readonly commandLine: string;
  private child: ChildProcess | undefined;
  private stderr = '';
  private stopping = false;
  private exited: Promise<ToolExit> | undefined;

  constructor(private readonly options: ToolProcessOptions) {
    super();
    this.commandLine = [options.command, ...options.args].join(' ');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const child = spawn(this.options.command, this.options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let spawnError: NodeJS.ErrnoException | undefined;
    let exit: ToolExit | undefined;

    this.exited = new Promise<ToolExit>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
        resolve({ code: null, signal: null, stderr: this.stderr });
      });
      child.on('close', (code, signal) => resolve({ code, signal, stderr: this.stderr }));
    });
    void this.exited.then((result) => {
      exit = result;
      if (!this.stopping && this.listenerCount('exit') > 0) this.emit('exit', result);
    });

    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP_CHARS);
    });
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.emit('line', line);
    });

    const deadline = Date.now() + this.options.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exit || spawnError) break;
      if (child.pid !== undefined && (await holdsGpioRequest(this.options.procRoot, child.pid))) {
        this.options.logger.debug({ pid: child.pid, command: this.commandLine }, 'GPIO tool requested its line');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }

    if (!exit && !spawnError) {
      await this.stop();
      throw new ToolStartError(
        `${path.basename(this.options.command)} did not request its line within ${this.options.readyTimeoutMs} ms`,
        { code: null, signal: null, stderr: this.stderr },
        undefined,
      );
    }
    // Let 'close' deliver the final standard error text before reporting it.
    const final = await this.exited;
    throw new ToolStartError(
      `${path.basename(this.options.command)} exited before requesting its line`,
      final,
      spawnError,
    );
  }

  /** Stop the tool: SIGTERM, then SIGKILL if it has not exited within the kill timeout. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    this.stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), this.options.killTimeoutMs ?? 1000);
      await this.exited;
      clearTimeout(killTimer);
    } else {
      await this.exited;
    }
  }
}
