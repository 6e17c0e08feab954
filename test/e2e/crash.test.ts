import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED, STRANGER, probePhoto } from '../../demo/lib/cast.js';
import { writeConfig } from '../../demo/lib/config.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import { spawnDaemon, type ChildDaemon } from './support/child-daemon.js';
import { createGateFixture, type GateFixture } from './support/gate-fixture.js';

// The daemon process is killed with SIGKILL (a crash, a power cut) while the broker is away and
// events wait in the outbox. After the restart, every event it had committed reaches the fleet with
// its original id and sequence number, and nothing is sent as a new event.

const WORKER = ENROLLED[0]!;

interface Committed {
  eventId: string;
  seq: number;
}

function committedBy(daemon: ChildDaemon): Committed[] {
  return daemon.matching(/^event committed$/).map((line) => ({ eventId: String(line.eventId), seq: Number(line.seq) }));
}

describe('daemon killed with SIGKILL', () => {
  let fixture: GateFixture;
  let configFile: string;
  let first: ChildDaemon | undefined;
  let second: ChildDaemon | undefined;

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [WORKER], persistence: true });
    const video = path.join(fixture.dir, 'loop.mp4');
    // The worker and a stranger take turns, so each pass of the loop decides two tracks.
    await buildGateVideo(
      video,
      [
        { photo: probePhoto(fixture.dataDir, WORKER), seconds: 1 },
        { photo: null, seconds: 0.4 },
        { photo: probePhoto(fixture.dataDir, STRANGER), seconds: 1.4 },
        { photo: null, seconds: 0.4 },
      ],
      { workDir: path.join(fixture.dir, 'stills') },
    );
    const input = fixture.configInput({ type: 'file', path: video, loop: true });
    configFile = writeConfig(path.join(fixture.dir, 'facegate.yaml'), {
      ...input,
      decision: { votesRequired: 2, trackTimeoutMs: 300, debounceMs: 0, maxTrackAgeMs: 15_000 },
      log: { level: 'info' },
    });
  });

  afterAll(async () => {
    for (const daemon of [first, second]) {
      if (daemon !== undefined && daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
    }
    await fixture?.cleanup();
  });

  it('loses nothing and sends nothing twice as new', async () => {
    first = spawnDaemon(configFile);
    await first.waitFor(/^event committed$/, 2, 30_000);
    await fixture.subscriber.waitForUnique(2, 10_000);

    // With the broker away, further events pile up in the outbox, committed but not delivered.
    await fixture.broker.stop();
    const before = committedBy(first).length;
    await first.waitFor(/^event committed$/, before + 2, 20_000);
    first.child.kill('SIGKILL');
    const ended = await first.exited;
    expect(ended.signal).toBe('SIGKILL');
    const fromFirst = committedBy(first);

    await fixture.broker.start();
    second = spawnDaemon(configFile);
    await second.waitFor(/^ready: /, 1, 30_000);
    await fixture.subscriber.waitForUnique(fromFirst.length, 20_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    const fromSecond = committedBy(second);

    const received = new Map([...fixture.subscriber.unique.values()].map((entry) => [entry.event.eventId, entry.event]));
    // Every event the killed process had committed arrived, under its original id and sequence number.
    for (const event of fromFirst) expect(received.get(event.eventId)?.seq).toBe(event.seq);
    // Nothing arrived that neither process committed, so no event was sealed again under a new id.
    const known = new Set([...fromFirst, ...fromSecond].map((event) => event.eventId));
    expect([...received.keys()].filter((id) => !known.has(id))).toEqual([]);
    // One id per sequence number, and the numbering went on after the crash without a gap.
    const seqs = [...received.values()].map((event) => event.seq).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(fromSecond.every((event) => event.seq > Math.max(...fromFirst.map((first) => first.seq)))).toBe(true);
    expect(seqs[0]).toBe(1);
    const allCommitted = [...fromFirst, ...fromSecond].map((event) => event.seq).sort((a, b) => a - b);
    expect(allCommitted).toEqual(allCommitted.map((_, index) => index + 1));
    expect(fixture.subscriber.rejected).toEqual([]);
  });
});
