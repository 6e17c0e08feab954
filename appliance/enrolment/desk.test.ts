import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../audit/entry.js';
import { AuditLog } from '../audit/log.js';
import type { FfmpegCameraSource } from '../camera/ffmpeg.js';
import { silentLogger } from '../common/logger.js';
import { recordConsentForTests } from '../consent/testing.js';
import { ConsentStore } from '../consent/store.js';
import { defaultCalibrationPath, loadCalibration, type Calibration } from '../gallery/calibration.js';
import { Matcher } from '../gallery/matcher.js';
import { Gallery } from '../gallery/store.js';
import { Outbox } from '../outbox/outbox.js';
import { DEFAULT_LIVENESS_THRESHOLD, DEFAULT_TARGET_FPIR } from '../recognition/recognizer.js';
import { VisionWorker } from '../vision/client.js';
import { EnrolmentDesk, type EnrolmentState, type EnrolmentView } from './desk.js';
import { GateHold } from './gate-hold.js';
import { emptyScene, faceScene, folderCamera, lfw, writeScenes } from './testing.js';

// The enrolment desk against real parts: a folder camera showing one worker's photo, the vision
// worker, an encrypted gallery, the consent store and the hash-chained audit log in SQLite.

const TECHNICIAN = { technician: 'tech.lei', sourceAddress: '192.0.2.7' };

let dir: string;
let worker: VisionWorker;
let gallery: Gallery;
let consents: ConsentStore;
let outbox: Outbox;
let audit: AuditLog;
let calibration: Calibration;
let matcher: Matcher;
let reloads = 0;
let faceCamera: FfmpegCameraSource;
let emptyCamera: FfmpegCameraSource;
const entries: AuditEntry[] = [];
const hold = new GateHold({ logger: silentLogger(), graceMs: 0 });

function reload(): void {
  matcher = Matcher.fromTemplates(gallery.loadTemplates({ modelVersion: worker.versions.fr_feature }).templates);
  reloads += 1;
}

function desk(camera: FfmpegCameraSource, capture: { timeoutMs?: number; framesRequired?: number; minSpanMs?: number } = {}): EnrolmentDesk {
  return new EnrolmentDesk({
    camera,
    analyser: worker,
    gallery,
    consents,
    matcher: () => matcher,
    threshold: () => calibration.thresholdFor(Math.max(1, matcher.size), DEFAULT_TARGET_FPIR).threshold,
    featureModel: worker.versions.fr_feature!,
    reload,
    hold,
    audit,
    capture: {
      framesRequired: capture.framesRequired ?? 5,
      minSpanMs: capture.minSpanMs ?? 1_000,
      timeoutMs: capture.timeoutMs ?? 10_000,
      livenessThreshold: DEFAULT_LIVENESS_THRESHOLD,
      sameFaceThreshold: calibration.thresholdFor(1, DEFAULT_TARGET_FPIR).threshold,
    },
    logger: silentLogger(),
  });
}

async function settle(subject: EnrolmentDesk, view: EnrolmentView, from: EnrolmentState = 'capturing'): Promise<EnrolmentView> {
  const deadline = performance.now() + 12_000;
  let current = subject.get(view.id)!;
  while (current.state === from && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    current = subject.get(view.id)!;
  }
  return current;
}

function entriesAfter(count: number): AuditEntry[] {
  return entries.slice(count);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-desk-'));
  const stateDir = path.join(dir, 'state');
  await recordConsentForTests(stateDir, ['W001', 'W002', 'W003']);
  worker = new VisionWorker({}, silentLogger());
  await worker.start();
  gallery = Gallery.open({ stateDir, logger: silentLogger() });
  consents = ConsentStore.open({ stateDir, logger: silentLogger() });
  outbox = Outbox.open({ stateDir, deviceId: 'gate-01', logger: silentLogger() });
  audit = AuditLog.attach({ outbox, siteId: 'site-01', logger: silentLogger() });
  audit.onRecorded((entry) => entries.push(entry));
  calibration = loadCalibration(defaultCalibrationPath(), { modelVersion: worker.versions.fr_feature });
  matcher = Matcher.fromTemplates([]);
  writeScenes(path.join(dir, 'face'), [await faceScene(lfw('al_sharpton'))]);
  writeScenes(path.join(dir, 'empty'), [await emptyScene()]);
  faceCamera = folderCamera(path.join(dir, 'face'), silentLogger());
  emptyCamera = folderCamera(path.join(dir, 'empty'), silentLogger());
  await Promise.all([faceCamera.start(), emptyCamera.start()]);
}, 30_000);

afterAll(async () => {
  await Promise.all([faceCamera?.stop(), emptyCamera?.stop()]);
  await worker?.stop();
  await outbox?.close();
  gallery?.close();
  consents?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('EnrolmentDesk', () => {
  it('rejects a subject without consent', () => {
    const subject = desk(faceCamera);
    const before = entries.length;
    expect(() => subject.begin('W004', TECHNICIAN)).toThrow(expect.objectContaining({ code: 'consent.missing' }));
    expect(entriesAfter(before)).toEqual([]);
    expect(hold.held).toBe(false);
  });

  it('enrols from the camera and reloads', async () => {
    const subject = desk(faceCamera);
    const before = entries.length;
    const view = subject.begin('W001', TECHNICIAN);
    expect(view.state).toBe('capturing');
    expect(hold.held).toBe(true);

    const done = await settle(subject, view);
    expect(done.state).toBe('enrolled');
    expect(done.progress.accepted).toBe(5);
    expect(hold.held).toBe(false);
    expect(gallery.listSubjects().find((entry) => entry.id === 'W001')?.templates).toBe(1);
    expect(reloads).toBe(1);
    expect(matcher.subjectCount).toBe(1);

    const written = entriesAfter(before);
    expect(written.map((entry) => entry.action)).toEqual(['enrolment.start', 'enrolment.add']);
    for (const entry of written) {
      expect(entry.actor).toEqual({ kind: 'technician', id: 'tech.lei' });
      expect(entry.object).toEqual({ kind: 'subject', id: 'W001' });
      expect(entry.sourceAddress).toBe('192.0.2.7');
      expect(entry.outcome).toBe('success');
    }
    expect(written[1]!.detail).toMatchObject({ method: 'kiosk', templates: 1, frames: 5, newSubject: true });
  }, 15_000);

  it('is busy while a capture runs', () => {
    const subject = desk(emptyCamera);
    const before = entries.length;
    const view = subject.begin('W002', TECHNICIAN);
    expect(() => subject.begin('W003', TECHNICIAN)).toThrow(expect.objectContaining({ code: 'enrolment.busy' }));
    const cancelled = subject.cancel(view.id, TECHNICIAN);
    expect(cancelled.state).toBe('cancelled');
    expect(hold.held).toBe(false);
    const written = entriesAfter(before);
    expect(written.map((entry) => [entry.action, entry.outcome, entry.reason])).toEqual([
      ['enrolment.start', 'success', null],
      ['enrolment.cancel', 'success', 'technician-cancelled'],
    ]);
    expect(() => subject.cancel(view.id, TECHNICIAN)).toThrow(expect.objectContaining({ code: 'enrolment.state' }));
  });

  it('warns about a face enrolled as another subject', async () => {
    const subject = desk(faceCamera);
    const before = entries.length;
    const view = subject.begin('W002', TECHNICIAN);
    const warned = await settle(subject, view);
    expect(warned.state).toBe('duplicate');
    expect(warned.duplicate?.subjectId).toBe('W001');
    expect(warned.duplicate!.score).toBeGreaterThanOrEqual(warned.duplicate!.threshold);
    expect(warned.duplicate!.threshold).toBeCloseTo(calibration.thresholdFor(1, DEFAULT_TARGET_FPIR).threshold, 6);
    // The gate stays paused while the technician decides: the face would open the door as W001.
    expect(hold.held).toBe(true);

    const cancelled = subject.cancel(view.id, TECHNICIAN);
    expect(cancelled.state).toBe('cancelled');
    expect(hold.held).toBe(false);
    expect(gallery.hasSubject('W002')).toBe(false);
    expect(entriesAfter(before).map((entry) => [entry.action, entry.reason])).toEqual([
      ['enrolment.start', null],
      ['enrolment.cancel', 'duplicate-rejected'],
    ]);
  }, 15_000);

  it('stores a duplicate after confirmation', async () => {
    const subject = desk(faceCamera);
    const before = entries.length;
    const view = subject.begin('W003', TECHNICIAN);
    expect((await settle(subject, view)).state).toBe('duplicate');
    const stored = subject.confirmDuplicate(view.id, TECHNICIAN);
    expect(stored.state).toBe('enrolled');
    expect(gallery.hasSubject('W003')).toBe(true);
    expect(reloads).toBe(2);
    const written = entriesAfter(before);
    expect(written.map((entry) => entry.action)).toEqual(['enrolment.start', 'enrolment.duplicate-confirm', 'enrolment.add']);
    expect(written[1]!.detail).toMatchObject({ matchedSubject: 'W001' });
    expect(written[2]!.detail).toMatchObject({ duplicateOf: 'W001', newSubject: true });
  }, 15_000);

  it('cancels an unanswered duplicate warning', async () => {
    const subject = desk(faceCamera, { timeoutMs: 2_500, framesRequired: 2, minSpanMs: 200 });
    const before = entries.length;
    const view = subject.begin('W002', TECHNICIAN);
    expect((await settle(subject, view)).state).toBe('duplicate');
    const expired = await settle(subject, view, 'duplicate');
    expect(expired.state).toBe('timed-out');
    expect(hold.held).toBe(false);
    expect(entriesAfter(before).at(-1)).toMatchObject({ action: 'enrolment.cancel', outcome: 'failure', reason: 'duplicate-unanswered' });
    expect(gallery.hasSubject('W002')).toBe(false);
  }, 15_000);

  it('times out without a face', async () => {
    const subject = desk(emptyCamera, { timeoutMs: 1_500 });
    const before = entries.length;
    const view = subject.begin('W002', TECHNICIAN);
    const done = await settle(subject, view);
    expect(done.state).toBe('timed-out');
    expect(done.progress.guidance).toBe('no-face');
    expect(hold.held).toBe(false);
    expect(entriesAfter(before).at(-1)).toMatchObject({ action: 'enrolment.cancel', outcome: 'failure', reason: 'timed-out' });
  }, 10_000);

  it('cancels the capture when stopped', async () => {
    const subject = desk(emptyCamera);
    const before = entries.length;
    subject.begin('W002', TECHNICIAN);
    await subject.stop();
    expect(hold.held).toBe(false);
    expect(entriesAfter(before).at(-1)).toMatchObject({ action: 'enrolment.cancel', outcome: 'failure', reason: 'service-stopped' });
    expect(() => subject.begin('W002', TECHNICIAN)).toThrow(expect.objectContaining({ code: 'enrolment.stopped' }));
  });
});
