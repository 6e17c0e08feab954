import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { PROJECT_ROOT } from '../../../appliance/common/paths.js';

const ENTRY = path.join(PROJECT_ROOT, 'test', 'e2e', 'support', 'daemon-child.ts');

/** A `facegate` process (`run`, `fleet serve`) whose JSON log lines are parsed as they arrive. */
export interface ChildDaemon {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Lines whose message matches. */
  matching(pattern: RegExp): Array<Record<string, unknown>>;
  waitFor(pattern: RegExp, count: number, timeoutMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnDaemon(configFile: string): ChildDaemon {
  return spawnFacegate(['run', '--config', configFile]);
}

/** Start `facegate <argv>` from source as a long-running process (`run`, `fleet serve`), parsing its log lines. */
export function spawnFacegate(argv: readonly string[]): ChildDaemon {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...argv], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, FACEGATE_LOG_LEVEL: 'info', NOTIFY_SOCKET: '', WATCHDOG_USEC: '' },
  });
  const lines: Array<Record<string, unknown>> = [];
  readline.createInterface({ input: child.stderr! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      lines.push({ msg: text });
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const matching = (pattern: RegExp) => lines.filter((line) => pattern.test(String(line.msg)));
  return {
    child,
    lines,
    matching,
    exited,
    async waitFor(pattern, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (matching(pattern).length < count) {
        if (Date.now() > deadline) {
          const tail = lines.slice(-15).map((line) => String(line.msg)).join('\n  ');
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} log lines matching ${pattern}; last lines:\n  ${tail}`);
        }
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the daemon exited (${child.exitCode ?? child.signalCode}) before ${pattern} appeared`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Output of a finished `facegate` command. */
export interface FacegateRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a one-shot `facegate` command from source in its own process, as a technician runs it, and wait for it to exit. */
export function runFacegate(argv: readonly string[], timeoutMs = 30_000): Promise<FacegateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...argv], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FACEGATE_LOG_LEVEL: 'error', FACEGATE_LANG: 'en' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`facegate ${argv.join(' ')} did not finish within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
