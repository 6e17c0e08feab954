import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED, PRINT_ATTACK, REPLAY_ATTACK, STRANGER, probePhoto } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { createGateFixture, within, type GateFixture, type RunningDaemon } from './support/gate-fixture.js';

// One daemon watches one video: an enrolled worker, a stranger, a screen replay and a printed photo,
// with empty scene between them. The fleet side must receive exactly the events the door acted on.

const WORKER = ENROLLED[0]!;

describe('gate daemon end to end', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;
  let events: AttendanceEvent[];

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [WORKER] });
    const video = path.join(fixture.dir, 'gate.mp4');
    await buildGateVideo(
      video,
      [
        { photo: null, seconds: 0.6 },
        { photo: probePhoto(fixture.dataDir, WORKER), seconds: 2 },
        { photo: null, seconds: 0.8 },
        { photo: probePhoto(fixture.dataDir, STRANGER), seconds: 2 },
        { photo: null, seconds: 0.8 },
        { photo: path.join(fixture.dataDir, REPLAY_ATTACK), seconds: 1.5, fit: 'letterbox' },
        { photo: null, seconds: 0.8 },
        { photo: path.join(fixture.dataDir, PRINT_ATTACK), seconds: 1.5, fit: 'letterbox' },
        { photo: null, seconds: 0.6 },
      ],
      { workDir: path.join(fixture.dir, 'stills') },
    );
    run = await fixture.startDaemon(fixture.config({ type: 'file', path: video }));
    await within(run.inputEnded, 30_000, 'the end of the video');
    await run.daemon.settled();
    await fixture.subscriber.waitForUnique(run.committed.length, 10_000);
    await run.daemon.stop();
    events = [...fixture.subscriber.unique.values()].map((received) => received.event).sort((a, b) => a.seq - b.seq);
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('delivers every committed event, verified', () => {
    expect(fixture.subscriber.rejected).toEqual([]);
    expect(events.map((event) => event.eventId).sort()).toEqual(run.committed.map((entry) => entry.event.eventId).sort());
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  });

  it('grants the enrolled worker with a relay pulse', () => {
    const granted = events.filter((event) => event.decision === 'granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({
      method: 'face',
      subject: fixture.pseudonyms.get(WORKER.subjectId),
      doorActuated: true,
      direction: 'in',
      reason: 'match',
      deviceId: 'gate-e2e',
      clock: { state: 'unknown' },
    });
    expect(granted[0]!.scores.liveness).toBeGreaterThanOrEqual(0.5);
    expect(granted[0]!.scores.match).toBeGreaterThan(0.3);
    expect(granted[0]!.wallTime).toMatch(/\+08:00$/);
    expect(Object.keys(granted[0]!.models).sort()).toEqual(['fr_detect', 'fr_feature', 'fr_landmark', 'fr_liveness']);
  });

  it('pulses the relay once, for the grant only', () => {
    const energised = run.gpio.transitions('relay').filter((transition) => transition.cause === 'set' && transition.value);
    expect(energised).toHaveLength(1);
    const grant = run.decisions.find((entry) => entry.decision.decision === 'granted');
    expect(grant?.doorActuated).toBe(true);
    expect(grant?.relayLatencyMs).toBeGreaterThan(0);
    expect(grant?.relayLatencyMs).toBeLessThan(1_000);
  });

  it('records the stranger as unknown, door shut', () => {
    const unknown = events.filter((event) => event.decision === 'unknown');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ subject: null, doorActuated: false, reason: 'no-match' });
  });

  it('refuses the screen replay as a spoof', () => {
    const spoof = events.filter((event) => event.decision === 'spoof');
    expect(spoof).toHaveLength(1);
    expect(spoof[0]).toMatchObject({ subject: null, doorActuated: false, reason: 'liveness-failed' });
    expect(spoof[0]!.scores.liveness).toBeLessThan(0.5);
  });

  it('opens nothing for the printed photo', () => {
    // The print is too blurred for the quality gate at this size, so it casts no vote at all.
    expect(events.filter((event) => event.doorActuated)).toHaveLength(1);
    expect(events).toHaveLength(3);
  });

  it('logs each step of start-up and shutdown', () => {
    const steps = run.logs.matching(/^started: /).map((line) => line.step);
    expect(steps).toEqual(['keys', 'clock sync', 'gallery, matcher and calibration', 'vision worker (warm-up)', 'outbox', 'door and GPIO', 'publisher', 'camera', 'frame loop', 'health and watchdog']);
    const stopped = run.logs.matching(/^stopped: /).map((line) => line.step);
    // Loading keys leaves nothing to release, so that step has no stop.
    expect(stopped).toEqual([...steps].reverse().filter((step) => step !== 'keys'));
    expect(run.logs.matching(/^ready: /)).toHaveLength(1);
  });
});
