import { DeviceAuditReader, type AuditEntry } from '../../appliance/audit/index.js';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED, probePhoto } from '../../demo/lib/cast.js';
import { sleep, waitUntil } from '../support/wait.js';
import { createGateFixture, within, type GateFixture } from './support/gate-fixture.js';

// Bad input from outside (a corrupt frame, a camera that cannot be opened, a broker whose
// certificate is not trusted) must give a clear log line and leave the daemon running.

const WORKER = ENROLLED[0]!;

describe('daemon robustness', () => {
  let fixture: GateFixture;

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [WORKER] });
  });

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('logs a corrupt frame and keeps deciding', async () => {
    // A slideshow of the worker with a truncated JPEG and a file of garbage in the middle.
    const folder = path.join(fixture.dir, 'corrupt-scene');
    fs.mkdirSync(folder, { recursive: true });
    const still = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([{ input: await sharp(probePhoto(fixture.dataDir, WORKER)).resize(480, 480).toBuffer(), gravity: 'centre' }])
      .jpeg({ quality: 95 })
      .toBuffer();
    for (let i = 1; i <= 4; i++) fs.writeFileSync(path.join(folder, `${String(i).padStart(2, '0')}.jpg`), still);
    fs.writeFileSync(path.join(folder, '05.jpg'), still.subarray(0, Math.floor(still.length / 3)));
    fs.writeFileSync(path.join(folder, '06.jpg'), Buffer.from('not a jpeg at all'));
    for (let i = 7; i <= 14; i++) fs.writeFileSync(path.join(folder, `${String(i).padStart(2, '0')}.jpg`), still);

    const run = await fixture.startDaemon(fixture.config({ type: 'folder', path: folder, fps: 10 }, { decision: { votesRequired: 3, debounceMs: 0 } }));
    await within(run.inputEnded, 20_000, 'the end of the slideshow');
    await run.daemon.settled();

    const reports = run.logs.matching(/^camera process reported: /).map((line) => String(line.line));
    expect(reports.some((line) => /EOI missing|No JPEG data|Invalid data|Error while decoding/.test(line))).toBe(true);
    expect(run.logs.errors().filter((line) => /frame loop|handling a gate decision/.test(String(line.msg)))).toEqual([]);
    // ffmpeg drops the garbage file and conceals the truncated one, so every good still comes through.
    // The loop goes on to the last frame, although a busy machine may skip some in between.
    const received = run.daemon.camera.stats().framesReceived;
    expect(received).toBeGreaterThanOrEqual(12);
    expect(Math.max(...run.analysed.map((frame) => frame.seq))).toBe(received);
    expect(run.committed.map((entry) => entry.event.decision)).toContain('granted');
    await run.daemon.stop();
  });

  it('logs an unreadable camera and stays up', async () => {
    const missing = path.join(fixture.dir, 'no-such-video.mp4');
    const run = await fixture.startDaemon(
      fixture.config({ type: 'file', path: missing, backoff: { initialMs: 200, maxMs: 1_000 } }),
    );
    await waitUntil(() => run.logs.matching(/^camera failed: /).length > 0, 10_000, 'the camera failure log line');
    const failure = run.logs.matching(/^camera failed: /)[0]!;
    expect(failure.level).toBe(50);
    expect(JSON.stringify(failure.stderr)).toContain('No such file or directory');
    expect(run.daemon.isReady).toBe(false);

    // The rest of the daemon works: an event still goes through the outbox to the broker.
    await run.daemon.recordEvent({ decision: 'granted', method: 'pin', subject: 'pin-user', scores: {}, doorActuated: true, reason: 'pin-ok' });
    await waitUntil(() => run.daemon.outbox.depth() === 0, 10_000, 'the event to be delivered');
    const pinEvents = () => [...fixture.subscriber.unique.values()].filter((entry) => entry.event.method === 'pin');
    await waitUntil(() => pinEvents().length === 1, 5_000, 'the fleet to receive the event');
    await run.daemon.stop();
  });

  it('logs a broker certificate it cannot trust', async () => {
    const scene = path.join(fixture.dir, 'empty-scene');
    fs.mkdirSync(scene, { recursive: true });
    await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toFile(path.join(scene, '1.jpg'));
    const input = fixture.configInput({ type: 'folder', path: scene, loop: true, fps: 5 });
    // The device trusts another CA than the one that signed the broker's certificate.
    const run = await fixture.startDaemon(
      fixture.config(input.camera, { mqtt: { ...input.mqtt, caFile: fixture.broker.pki.rogueCaFile } }),
    );
    await waitUntil(() => run.logs.matching(/^cannot connect: /).length > 0, 10_000, 'the connection failure log line');
    const failure = run.logs.matching(/^cannot connect: /)[0]!;
    expect(failure.level).toBe(50);
    expect(String(failure.msg)).toMatch(/certificate/i);
    expect(typeof failure.hint).toBe('string');

    await run.daemon.recordEvent({ decision: 'granted', method: 'pin', subject: 'pin-user', scores: {}, doorActuated: true, reason: 'pin-ok' });
    // The audit shipper queues entries on its own stream too, so only the event rows are counted.
    expect(run.daemon.outbox.pending(100).filter((row) => row.stream === 'events')).toHaveLength(1);
    expect(run.daemon.publisher.connected).toBe(false);
    await run.daemon.stop();
  });
  it('records the exit button and raises a forced-door alarm', async () => {
    const scene = path.join(fixture.dir, 'exit-scene');
    fs.mkdirSync(scene, { recursive: true });
    await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toFile(path.join(scene, '1.jpg'));
    const run = await fixture.startDaemon(fixture.config({ type: 'folder', path: scene, loop: true, fps: 5 }));
    // The simulated contact rests at its pull-up level, which reads as open; close the door first.
    run.gpio.setInput('doorContact', false);
    await sleep(200);

    run.gpio.press('exitButton');
    await sleep(120);
    run.gpio.release('exitButton');
    await waitUntil(() => run.committed.some((entry) => entry.event.method === 'exit-button'), 5_000, 'the exit-button event');
    const exit = run.committed.find((entry) => entry.event.method === 'exit-button')!.event;
    expect(exit).toMatchObject({ decision: 'granted', subject: null, doorActuated: true, reason: 'exit-button' });
    expect(run.gpio.transitions('relay').filter((transition) => transition.cause === 'set' && transition.value)).toHaveLength(1);

    // Opened long after the relay locked again (pulse 1 s, grace 2 s): forced.
    await sleep(3_300);
    run.gpio.setInput('doorContact', true);
    await waitUntil(() => run.logs.matching(/^alarm: door forced open$/).length === 1, 2_000, 'the forced-door alarm');
    expect(run.logs.matching(/^alarm: door forced open$/)[0]!.level).toBe(50);
    await run.daemon.stop();

    const reader = DeviceAuditReader.open(fixture.stateDir);
    const entries = reader.snapshot().entries as unknown as AuditEntry[];
    reader.close();
    const exitEntry = entries.find((entry) => entry.eventId === exit.eventId)!;
    expect(exitEntry.entryId).toBe(exit.auditEntryId);
    expect(exitEntry.action).toBe('door.exit-button');
    expect(entries.filter((entry) => entry.action === 'door.forced')).toHaveLength(1);
  });
});
