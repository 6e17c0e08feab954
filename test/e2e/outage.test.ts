import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait.js';
import { createGateFixture, type GateFixture, type RunningDaemon } from './support/gate-fixture.js';

// The broker goes away while the gate keeps working: every event is committed to the outbox and
// reaches the fleet once the broker is back, each event id exactly once after dedupe.

const EVENTS = 500;

describe('broker outage end to end', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;

  beforeAll(async () => {
    fixture = await createGateFixture({ persistence: true });
    // An empty scene, shown in a loop, keeps the camera alive without giving the gate anything to decide.
    const scene = path.join(fixture.dir, 'scene');
    fs.mkdirSync(scene, { recursive: true });
    await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toFile(path.join(scene, '1.jpg'));
    run = await fixture.startDaemon(fixture.config({ type: 'folder', path: scene, loop: true, fps: 5 }));
    await run.daemon.publisher.waitUntilConnected(10_000);
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('delivers all 500 events after the broker returns', async () => {
    await fixture.broker.stop();
    await waitUntil(() => !run.daemon.publisher.connected, 5_000, 'the publisher to notice the broker is gone');

    for (let i = 0; i < EVENTS; i++) {
      await run.daemon.recordEvent({ decision: 'granted', method: 'badge', subject: `badge-${i}`, scores: {}, doorActuated: true, reason: 'load-test' });
    }
    expect(run.committed).toHaveLength(EVENTS);
    // Each event also queued its audit entry on the `audit` stream, so only the event rows are counted here.
    const pendingEvents = run.daemon.outbox.pending(10 * EVENTS).filter((row) => row.stream === 'events');
    expect(pendingEvents).toHaveLength(EVENTS);
    expect(fixture.subscriber.unique.size).toBe(0);
    expect(run.logs.matching(/cannot connect/).length).toBeGreaterThan(0);

    await fixture.broker.start();
    await fixture.subscriber.waitForUnique(EVENTS, 30_000);
    await waitUntil(() => run.daemon.outbox.depth() === 0, 10_000, 'the outbox to be marked delivered');

    const committedIds = new Set(run.committed.map((entry) => entry.event.eventId));
    const received = [...fixture.subscriber.unique.values()].map((entry) => entry.event);
    expect(received).toHaveLength(EVENTS);
    expect(received.every((event) => committedIds.has(event.eventId))).toBe(true);
    expect(new Set(received.map((event) => event.seq)).size).toBe(EVENTS);
    expect(fixture.subscriber.rejected).toEqual([]);
    // Whatever arrived twice (sent again because its acknowledgement was lost) carried the same id.
    const copies = fixture.subscriber.all.length - fixture.subscriber.unique.size;
    expect(copies).toBeGreaterThanOrEqual(0);
  });
});
