/**
 * Delivery benchmark: outbox commit to broker PUBACK, over mutual TLS to a local Mosquitto.
 *
 * For each scenario a fresh outbox and publisher connect to one broker, then events are sealed
 * and committed one at a time (each commit is an fsync) at a given pace or as fast as possible.
 * It records, per event, the time from the outbox commit to the PUBACK, and the rate at which
 * PUBACKs arrived. The backlog scenario commits everything first and then connects, so its
 * latencies are waiting times and only its drain rate is of interest.
 *
 *   npx tsx bench/delivery.ts          # writes bench/results/delivery.json
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestDevice } from '../test/support/device.js';
import { startBroker } from '../test/support/mosquitto.js';

export interface Scenario {
  name: string;
  events: number;
  /** Publisher drain limit in messages per second; null for no limit. */
  rateLimit: number | null;
  /** Commit pace in events per second; null commits back to back. */
  enqueuePerSecond: number | null;
  /** Commit every event before the publisher starts, to measure how fast a backlog drains. */
  backlog?: boolean;
}

export interface ScenarioResult extends Scenario {
  commitToAckMs: { p50: number; p95: number; max: number };
  /** Events committed per second while enqueueing. */
  commitRate: number;
  /** PUBACKs per second from the first to the last. */
  drainRate: number;
  durationMs: number;
}

export const DEFAULT_SCENARIOS: Scenario[] = [
  { name: 'limiter off, back-to-back commits', events: 2_000, rateLimit: null, enqueuePerSecond: null },
  { name: 'limiter 50/s, back-to-back commits', events: 2_000, rateLimit: 50, enqueuePerSecond: null },
  { name: 'limiter 50/s, 20 commits/s', events: 200, rateLimit: 50, enqueuePerSecond: 20 },
  { name: 'limiter off, 2,000-event backlog', events: 2_000, rateLimit: null, enqueuePerSecond: null, backlog: true },
];

/** Start a broker, run each scenario against it, and return the measurements. */
export async function runDeliveryBenchmark(scenarios: Scenario[] = DEFAULT_SCENARIOS): Promise<ScenarioResult[]> {
  const broker = await startBroker({ devices: [{ id: 'bench-01', site: 'bench' }] });
  const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-bench-'));
  try {
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) results.push(await runScenario(scenario, broker, fs.mkdtempSync(path.join(stateRoot, 's-'))));
    return results;
  } finally {
    await broker.cleanup();
    fs.rmSync(stateRoot, { recursive: true, force: true });
  }
}

async function runScenario(scenario: Scenario, broker: Awaited<ReturnType<typeof startBroker>>, dir: string): Promise<ScenarioResult> {
  const device = createTestDevice({
    broker,
    dir,
    deviceId: 'bench-01',
    siteId: 'bench',
    publisher: { rateLimit: scenario.rateLimit === null ? null : { messagesPerSecond: scenario.rateLimit } },
  });
  const latencies: number[] = [];
  const ackTimes: number[] = [];
  let allDelivered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  device.publisher.on('delivered', (delivery) => {
    latencies.push(delivery.commitToAckMs);
    ackTimes.push(performance.now());
    if (latencies.length === scenario.events) allDelivered();
  });
  const connect = async () => {
    device.publisher.start();
    await device.publisher.waitUntilConnected(10_000);
  };
  if (scenario.backlog !== true) await connect();

  const started = performance.now();
  for (let i = 0; i < scenario.events; i++) {
    if (scenario.enqueuePerSecond !== null) {
      const due = started + (i * 1000) / scenario.enqueuePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await device.enqueueEvents(1);
  }
  const committedAt = performance.now();
  if (scenario.backlog === true) await connect();
  await done;
  const finished = performance.now();
  await device.close();

  latencies.sort((a, b) => a - b);
  const firstAck = ackTimes[0]!;
  const lastAck = ackTimes.at(-1)!;
  return {
    ...scenario,
    commitToAckMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: latencies.at(-1)! },
    commitRate: round((scenario.events * 1000) / (committedAt - started)),
    drainRate: round(((scenario.events - 1) * 1000) / Math.max(1, lastAck - firstAck)),
    durationMs: Math.round(finished - started),
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function machine() {
  const cpus = os.cpus();
  let mosquitto = 'unknown';
  try {
    mosquitto = execFileSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch (error) {
    // `mosquitto -h` prints its version and exits with status 3.
    mosquitto = String((error as { stdout?: string }).stdout ?? '').split('\n')[0]!.trim() || mosquitto;
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    broker: mosquitto,
    note: 'broker and publisher on the same machine over loopback TLS; outbox on the local disk with synchronous=FULL',
  };
}

async function main(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const results = await runDeliveryBenchmark();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout.
  }
  const record = { command: 'npx tsx bench/delivery.ts', commit, date: new Date().toISOString(), machine: machine(), results };
  const file = path.join(root, 'bench', 'results', 'delivery.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  for (const result of results) {
    process.stdout.write(
      `${result.name}: commit->PUBACK p50 ${result.commitToAckMs.p50} ms, p95 ${result.commitToAckMs.p95} ms; ` +
        `commits ${result.commitRate}/s, drain ${result.drainRate}/s\n`,
    );
  }
  process.stdout.write(`written to ${file}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
