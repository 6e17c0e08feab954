/**
 * Gate benchmark: the whole daemon on a 640x480 video, with a real broker and publishing on.
 *
 * One daemon runs in this process on a looping video in which an enrolled worker and a stranger
 * take turns, at 30 fps so the camera always has a newer frame than the worker can take. Meanwhile
 * 10 extra events a second go through the event path, so the publisher is busy throughout. It records:
 * - frame arrival → relay energised: from the pipe delivering the deciding frame to the simulated
 *   relay line being set, per grant;
 * - event commit → broker delivery: from the outbox commit to the broker's PUBACK, per event;
 * - sustained fps: frames analysed per second over the run, and frames the camera skipped;
 * - peak RSS of this process (the daemon, its vision worker thread and this harness; ffmpeg and
 *   Mosquitto are other processes and not counted), and then of `bin/facegate run` alone: the same
 *   configuration in a process of its own for 15 s, read from its /proc status (VmHWM).
 *
 *   npx tsx bench/gate.ts [--seconds 40]     # writes bench/results/gate.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENROLLED, STRANGER, probePhoto } from '../demo/lib/cast.js';
import { buildGateVideo } from '../demo/lib/video.js';
import { spawn } from 'node:child_process';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../appliance/common/paths.js';
import { createGateFixture } from '../test/e2e/support/gate-fixture.js';
import { percentile, round, runRecord, writeResult } from './record.js';

const WORKER = ENROLLED[0]!;
const EXTRA_EVENTS_PER_SECOND = 10;

function peakRssBytes(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? process.resourceUsage().maxRSS * 1024 : Number(match[1]) * 1024;
}

function summary(values: number[]): { count: number; p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: round(percentile(sorted, 0.5), 2), p95: round(percentile(sorted, 0.95), 2), max: round(sorted[sorted.length - 1] ?? Number.NaN, 2) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '40' } } });
  const seconds = Number(values.seconds);
  const rssBeforeDaemon = peakRssBytes();

  const fixture = await createGateFixture({ enrol: [WORKER] });
  try {
    const video = path.join(fixture.dir, 'bench.mp4');
    await buildGateVideo(
      video,
      [
        { photo: probePhoto(fixture.dataDir, WORKER), seconds: 1 },
        { photo: null, seconds: 0.4 },
        { photo: probePhoto(fixture.dataDir, STRANGER), seconds: 1 },
        { photo: null, seconds: 0.4 },
      ],
      { workDir: path.join(fixture.dir, 'stills'), fps: 30 },
    );
    const input = fixture.configInput({ type: 'file', path: video, loop: true, fps: 30 });
    const config = fixture.config(input.camera, {
      decision: { votesRequired: 3, trackTimeoutMs: 300, debounceMs: 0, maxTrackAgeMs: 15_000 },
      door: { ...input.door, relay: { line: 'GPIO17', pulseMs: 200 } },
      mqtt: { ...input.mqtt, telemetryIntervalS: 5 },
      log: { level: 'info' },
    });
    const run = await fixture.startDaemon(config);
    const deliveries: number[] = [];
    run.daemon.publisher.on('delivered', (delivery) => deliveries.push(delivery.commitToAckMs));
    await run.daemon.publisher.waitUntilConnected(10_000);
    await new Promise<void>((resolve) => (run.daemon.isReady ? resolve() : run.daemon.events.once('ready', () => resolve())));

    const started = performance.now();
    const cameraBefore = run.daemon.camera.stats();
    const analysedBefore = run.analysed.length;
    let extra = 0;
    const load = setInterval(() => {
      extra += 1;
      void run.daemon.recordEvent({ decision: 'granted', method: 'badge', subject: `badge-${extra}`, scores: {}, doorActuated: true, reason: 'bench-load' });
    }, 1000 / EXTRA_EVENTS_PER_SECOND);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    clearInterval(load);
    const elapsedS = (performance.now() - started) / 1000;
    const cameraAfter = run.daemon.camera.stats();
    const analysed = run.analysed.length - analysedBefore;
    await run.daemon.settled();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await run.daemon.stop();

    const standaloneRssBytes = await measureStandaloneRss(path.join(fixture.dir, 'bench.yaml'), input, config.door);

    const grants = run.decisions.filter((entry) => entry.relayLatencyMs !== undefined).map((entry) => entry.relayLatencyMs!);
    const frameToDecision = run.analysed.map((frame) => frame.latencyMs);
    const result = {
      run: runRecord(`npx tsx bench/gate.ts --seconds ${seconds}`),
      setup: {
        video: '640x480 at 30 fps, looping: enrolled worker 1 s, empty 0.4 s, stranger 1 s, empty 0.4 s',
        votesRequired: 3,
        maxFacesPerFrame: 1,
        extraEventsPerSecond: EXTRA_EVENTS_PER_SECOND,
        drainRatePerS: config.mqtt.drainRatePerS,
        gpio: 'simulated',
        broker: 'Mosquitto on 127.0.0.1, mutual TLS',
      },
      durationS: round(elapsedS, 1),
      frameToRelayMs: summary(grants),
      frameToDecisionMs: summary(frameToDecision),
      commitToDeliveryMs: summary(deliveries),
      sustainedFps: round(analysed / elapsedS, 2),
      cameraFps: round((cameraAfter.framesReceived - cameraBefore.framesReceived) / elapsedS, 2),
      framesSkipped: cameraAfter.framesSkipped - cameraBefore.framesSkipped,
      decisions: run.decisions.length,
      eventsCommitted: run.committed.length,
      peakRssBytes: peakRssBytes(),
      rssBeforeDaemonBytes: rssBeforeDaemon,
      daemonProcessPeakRssBytes: standaloneRssBytes,
    };
    const file = writeResult('gate', result);
    process.stdout.write(`${JSON.stringify({ ...result, run: undefined }, null, 2)}\nwritten to ${file}\n`);
  } finally {
    await fixture.cleanup();
  }
}

/**
 * Run `bin/facegate run` on the same input in a process of its own for 15 s and return its peak RSS
 * (VmHWM): the daemon's real footprint, without this harness and the in-process enrolment pipeline.
 */
async function measureStandaloneRss(configFile: string, input: object, door: object): Promise<number | null> {
  fs.writeFileSync(configFile, YAML.stringify({ ...input, door }));
  const child = spawn(path.join(PROJECT_ROOT, 'bin', 'facegate'), ['run', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, NOTIFY_SOCKET: '', WATCHDOG_USEC: '', FACEGATE_LOG_LEVEL: 'warn' },
  });
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  let peak: number | null = null;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    peak = match === null ? null : Number(match[1]) * 1024;
  } catch {
    peak = null;
  }
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return peak;
}

await main();
