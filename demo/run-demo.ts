/**
 * `make demo`: the gate daemon on a short video, end to end, on this machine.
 *
 * Starts a Mosquitto broker with a fresh CA, server and device certificates and an ACL on a free
 * loopback port; makes the device signing key and the fleet key pair with openssl; builds a video
 * of enrolled people, a stranger, a repeat visit and a screen replay from the shared test photos;
 * enrols the people from other photos with `bin/facegate enroll`; runs `bin/facegate run` on the
 * video with simulated GPIO; and prints every event as the fleet side decrypts and verifies it.
 */
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { PROJECT_ROOT, testDataDir } from '../appliance/common/paths.js';
import { startBroker, type TestBroker } from '../test/support/mosquitto.js';
import { ENROLLED, REPLAY_ATTACK, STRANGER, enrolPhotos, probePhoto } from './lib/cast.js';
import { gateConfig, loopbackSettings, writeConfig } from './lib/config.js';
import { generateEnvelopeKeys } from './lib/keys.js';
import { fleetSubscriber, type EventSubscriber } from './lib/subscriber.js';
import { buildGateVideo, type Segment } from './lib/video.js';
import { describeEvent } from './format.js';
import { recordConsentForTests } from '../appliance/consent/testing.js';

const run = promisify(execFile);
const DEVICE_ID = 'gate-01';
const SITE_ID = 'macau-demo';
const FACEGATE = path.join(PROJECT_ROOT, 'bin', 'facegate');
const HOLD_S = 1.5;
const GAP_S = 0.6;

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const dataDir = testDataDir();
  if (!fs.existsSync(path.join(dataDir, 'faces', 'lfw'))) {
    say(`The demo needs the shared test photos in ${dataDir}/faces/lfw; set FACEGATE_TEST_DATA to their folder.`);
    return 1;
  }
  // Mosquitto drops to its own user and must reach its files, so the work folder is world-searchable.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-demo-'));
  fs.chmodSync(workDir, 0o755);
  const stateDir = path.join(workDir, 'state');
  let broker: TestBroker | undefined;
  let subscriber: EventSubscriber | undefined;

  try {
    say('facegate demo: one gate, one broker, one fleet subscriber, all on 127.0.0.1\n');
    say('1. Broker: Mosquitto with a fresh CA, server and device certificates, mutual TLS and an ACL');
    broker = await startBroker({ devices: [{ id: DEVICE_ID, site: SITE_ID }], fleetUsers: ['fleet'] });
    say(`   ${broker.url}, device certificate CN=${DEVICE_ID}`);

    say('2. Keys: device Ed25519 signing key and fleet X25519 key pair (openssl)');
    const keys = await generateEnvelopeKeys(path.join(workDir, 'keys'));

    say(`3. Video: ${ENROLLED.length} enrolled people, a stranger, a repeat visit and a screen replay, ${HOLD_S} s each at 15 fps`);
    const scenes: Array<{ label: string; segment: Segment }> = [
      ...ENROLLED.map((member) => ({ label: `${member.displayName} (enrolled as ${member.subjectId})`, segment: { photo: probePhoto(dataDir, member), seconds: HOLD_S } })),
      { label: `${STRANGER.displayName} (not enrolled)`, segment: { photo: probePhoto(dataDir, STRANGER), seconds: HOLD_S } },
      { label: `${ENROLLED[0]!.displayName} again (repeat visit within decision.debounceMs)`, segment: { photo: probePhoto(dataDir, ENROLLED[0]!), seconds: HOLD_S } },
      { label: 'a phone screen showing a face (replay attack)', segment: { photo: path.join(dataDir, REPLAY_ATTACK), seconds: HOLD_S, fit: 'letterbox' } },
    ];
    const segments: Segment[] = [{ photo: null, seconds: GAP_S }];
    for (const scene of scenes) segments.push(scene.segment, { photo: null, seconds: GAP_S });
    const video = path.join(workDir, 'gate.mp4');
    await buildGateVideo(video, segments, { workDir: path.join(workDir, 'stills') });
    scenes.forEach((scene, index) => say(`   ${(GAP_S + index * (HOLD_S + GAP_S)).toFixed(1).padStart(4)} s  ${scene.label}`));

    say('4. Enrolment from other photos of each person: bin/facegate enroll');
    // A real site records each worker's consent first (`facegate consent grant` or the kiosk); the demo has no roster.
    await recordConsentForTests(stateDir, ENROLLED.map((member) => member.subjectId));
    await Promise.all(
      ENROLLED.map((member) =>
        run(FACEGATE, ['enroll', '--state', stateDir, '--subject', member.subjectId, '--name', member.displayName, ...enrolPhotos(dataDir, member).flatMap((photo) => ['--photo', photo])]).catch((error: { stderr?: string }) => {
          throw new Error(`enrolling ${member.subjectId} failed: ${error.stderr ?? String(error)}`);
        }),
      ),
    );
    const { stdout } = await run(FACEGATE, ['gallery', 'list', '--state', stateDir, '--json']);
    const gallery = JSON.parse(stdout) as Array<{ id: string; displayName?: string; pseudonym: string }>;
    const names = new Map(gallery.map((subject) => [subject.pseudonym, `${subject.id} ${subject.displayName ?? ''}`.trim()]));
    say(`   ${gallery.map((subject) => `${subject.id} → ${subject.pseudonym.slice(0, 12)}…`).join(', ')}`);

    const configFile = writeConfig(
      path.join(workDir, 'facegate.yaml'),
      gateConfig(loopbackSettings(broker, keys, { deviceId: DEVICE_ID, siteId: SITE_ID, stateDir, camera: { type: 'file', path: video } })),
    );

    say('5. Fleet subscriber: decrypts each event with the fleet private key, verifies the device signature');
    subscriber = fleetSubscriber(broker, keys, { deviceId: DEVICE_ID, siteId: SITE_ID }, {
      onEvent: (received) => say(describeEvent(received.event, names)),
      onRejected: (topic, error) => say(`  REJECTED message on ${topic}: ${error.message}`),
    });
    await subscriber.start();

    say(`6. Daemon: bin/facegate run --config ${configFile}\n`);
    const outcome = await runDaemon(configFile);
    await subscriber.stop();

    say('\nRelay (door lock) transitions recorded by the simulated GPIO:');
    const relay = outcome.transitions.filter((line) => /\brelay\b/.test(line));
    for (const line of relay) say(`  ${line}`);
    const pulses = relay.filter((line) => / active /.test(line) && /\(set\)/.test(line)).length;

    const events = [...subscriber.unique.values()].map((received) => received.event);
    const count = (decision: string) => events.filter((event) => event.decision === decision).length;
    say('\nSummary:');
    say(`  events received and verified: ${events.length} (granted ${count('granted')}, unknown ${count('unknown')}, spoof ${count('spoof')}, denied ${count('denied')}); rejected: ${subscriber.rejected.length}`);
    say(`  relay pulses: ${pulses}; repeat grants without a new event: ${outcome.repeats}`);
    say(`  daemon exit code ${outcome.exitCode}; demo took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return outcome.exitCode === 0 && subscriber.rejected.length === 0 ? 0 : 1;
  } finally {
    await subscriber?.stop().catch(() => undefined);
    await broker?.cleanup();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

interface DaemonOutcome {
  exitCode: number | null;
  transitions: string[];
  repeats: number;
}

/** Run the daemon until its video ends, then stop it with SIGTERM as systemd would. */
function runDaemon(configFile: string): Promise<DaemonOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(FACEGATE, ['run', '--config', configFile], { stdio: ['ignore', 'inherit', 'pipe'] });
    const outcome: DaemonOutcome = { exitCode: null, transitions: [], repeats: 0 };
    let videoStartedAt: number | undefined;
    const lines = readline.createInterface({ input: child.stderr });
    lines.on('line', (text) => {
      let line: { level?: number; msg?: string; [key: string]: unknown };
      try {
        line = JSON.parse(text) as typeof line;
      } catch {
        say(`  daemon: ${text}`);
        return;
      }
      const at = videoStartedAt === undefined ? '' : `${((Date.now() - videoStartedAt) / 1000).toFixed(1).padStart(5)} s  `;
      if (line.msg?.startsWith('ready')) {
        videoStartedAt = Date.now();
        say(`  daemon ready after ${String(line.startupMs)} ms (models warm, first camera frame); events as the fleet receives them:`);
      } else if (line.msg?.startsWith('repeat grant')) {
        outcome.repeats += 1;
        say(`  ${at}repeat visit of ${String(line.subject).slice(0, 12)}…: door opened, no second attendance event (debounce)`);
      } else if (line.msg === 'simulated GPIO transitions' && Array.isArray(line.transitions)) {
        outcome.transitions = line.transitions as string[];
      } else if (line.msg?.startsWith('camera input ended;')) {
        say(`  ${at}video ended; stopping the daemon with SIGTERM`);
        // Give the last decision time to commit and reach the broker before stopping.
        setTimeout(() => child.kill('SIGTERM'), 1_500);
      } else if ((line.level ?? 0) >= 50) {
        say(`  daemon error: ${line.msg ?? text}`);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      outcome.exitCode = code;
      // readline may still hold the last lines; let it finish.
      lines.once('close', () => resolve(outcome));
      if (child.stderr.readableEnded) resolve(outcome);
    });
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
