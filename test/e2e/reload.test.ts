import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED, enrolPhotos } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { DeviceAuditReader, type AuditEntry } from '../../appliance/audit/index.js';
import { Gallery } from '../../appliance/gallery/store.js';
import { runCli } from '../helpers/cli.js';
import { createGateFixture, type GateFixture, type RunningDaemon } from './support/gate-fixture.js';
import { enrolSubjects } from './support/enrol.js';

// A technician enrols or removes a worker with the CLI while the daemon runs, then reloads it
// (SIGHUP, `systemctl reload facegate`): the matcher must follow the gallery without a restart.

describe('gallery reload while running', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [] });
    const video = path.join(fixture.dir, 'empty.mp4');
    await buildGateVideo(video, [{ photo: null, seconds: 1 }], { workDir: path.join(fixture.dir, 'stills') });
    run = await fixture.startDaemon(fixture.config({ type: 'file', path: video, loop: true }));
  });

  afterAll(async () => {
    await run?.daemon.stop();
    await fixture?.cleanup();
  });

  it('picks up an enrolment and a removal', async () => {
    expect(run.daemon.reloadGallery()).toEqual({ templates: 0, subjects: 0, rejected: 0 });

    const worker = ENROLLED[0]!;
    await enrolSubjects(
      fixture.stateDir,
      [{ subjectId: worker.subjectId, displayName: worker.displayName, photos: enrolPhotos(fixture.dataDir, worker) }],
      silentLogger(),
    );
    const added = run.daemon.reloadGallery();
    expect(added.subjects).toBe(1);
    expect(added.templates).toBe(enrolPhotos(fixture.dataDir, worker).length);

    const gallery = Gallery.open({ stateDir: fixture.stateDir, logger: silentLogger() });
    gallery.removeSubject(worker.subjectId);
    gallery.close();
    expect(run.daemon.reloadGallery()).toEqual({ templates: 0, subjects: 0, rejected: 0 });
  });

  it('audits reloads and a CLI removal', async () => {
    const worker = ENROLLED[0]!;
    await enrolSubjects(
      fixture.stateDir,
      [{ subjectId: worker.subjectId, displayName: worker.displayName, photos: enrolPhotos(fixture.dataDir, worker) }],
      silentLogger(),
    );
    // The command opens the outbox database on connections of its own, as a second process would.
    const removed = await runCli(['--log-level', 'silent', 'gallery', 'remove', worker.subjectId, '--state', fixture.stateDir]);
    expect(removed.code).toBe(0);
    run.daemon.reloadGallery();

    const reader = DeviceAuditReader.open(fixture.stateDir);
    const entries = reader.snapshot().entries as unknown as AuditEntry[];
    reader.close();
    const removal = entries.find((entry) => entry.action === 'enrolment.remove')!;
    expect(removal.object).toEqual({ kind: 'subject', id: worker.subjectId });
    expect(removal.actor.kind).toBe('technician');
    const reloads = entries.filter((entry) => entry.action === 'gallery.reload');
    expect(reloads).toHaveLength(4);
    expect(reloads.at(-1)!.detail).toEqual({ templates: 0, subjects: 0, rejected: 0 });
    expect(reloads.at(-1)!.seq).toBeGreaterThan(removal.seq);
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, index) => index + 1));
  });
});
