import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditFixture, type AuditFixture } from '../audit/test-helpers.js';
import { silentLogger } from '../common/logger.js';
import { randomUnitVector, seededRandom } from '../gallery/random-vectors.js';
import { Gallery } from '../gallery/store.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { readAuditEntries } from '../../test/support/commands.js';
import { CONSENT_PURPOSE } from './forms.js';
import { recordConsentForTests } from './testing.js';
import { ConsentStore } from './store.js';
import { WithdrawalWatcher } from './watcher.js';

const random = seededRandom(7);
let stateDir: string;
let gallery: Gallery;
let watcher: WithdrawalWatcher;
let reloads: number;

function enrol(subjectId: string): void {
  gallery.addSubject(subjectId);
  gallery.addTemplates(subjectId, [randomUnitVector(random, gallery.dimension)], { modelVersion: 'test-model', quality: [1] });
}

/** Queue a withdrawal as a process that stopped before deleting the key would leave it. */
function queueWithdrawal(subjectId: string): void {
  const store = ConsentStore.open({ stateDir, logger: silentLogger() });
  const consent = store.active(subjectId, CONSENT_PURPOSE)!;
  store.markWithdrawn(consent.id, { at: new Date(), method: 'cli', templatesDestroyed: 1, receipt: 'unused' });
  store.close();
}

beforeEach(async () => {
  stateDir = makeTempDir('consent-watcher');
  gallery = Gallery.open({ stateDir, logger: silentLogger() });
  reloads = 0;
  await recordConsentForTests(stateDir, ['w1', 'w2']);
  enrol('w1');
  enrol('w2');
  watcher = new WithdrawalWatcher({ stateDir, gallery, reload: () => (reloads += 1), intervalMs: 60_000, logger: silentLogger() });
});

let fixture: AuditFixture | undefined;

/** `matcher.drop` entries of the fixture's audit log, oldest first. */
function drops(): Array<{ subject: string | null; detail: Record<string, unknown> }> {
  return readAuditEntries(stateDir)
    .filter((entry) => entry.action === 'matcher.drop')
    .map((entry) => ({ subject: entry.object?.id ?? null, detail: entry.detail }));
}

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  watcher?.stop();
  gallery.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('WithdrawalWatcher', () => {
  it('ignores an empty queue', () => {
    watcher.start();
    expect(watcher.check()).toBe(0);
    expect(reloads).toBe(0);
  });

  it('deletes a leftover key and reloads', () => {
    watcher.start();
    queueWithdrawal('w1');
    expect(watcher.check()).toBe(1);
    expect(gallery.hasSubject('w1')).toBe(false);
    expect(gallery.hasSubject('w2')).toBe(true);
    expect(reloads).toBe(1);
    expect(watcher.check()).toBe(0);
    expect(reloads).toBe(1);
  });

  it('applies withdrawals queued before start', () => {
    queueWithdrawal('w2');
    watcher.start();
    expect(gallery.hasSubject('w2')).toBe(false);
    expect(reloads).toBe(1);
  });

  it('keeps a worker who consented again', async () => {
    queueWithdrawal('w1');
    await recordConsentForTests(stateDir, ['w1']);
    watcher.start();
    expect(gallery.hasSubject('w1')).toBe(true);
    expect(reloads).toBe(1);
  });

  it('records a matcher drop per withdrawal', () => {
    fixture = createAuditFixture({ dir: stateDir });
    watcher = new WithdrawalWatcher({ stateDir, gallery, reload: () => (reloads += 1), intervalMs: 60_000, logger: silentLogger(), audit: () => fixture!.audit });
    watcher.start();
    gallery.removeSubject('w2');
    queueWithdrawal('w1');
    queueWithdrawal('w2');
    expect(watcher.check()).toBe(2);
    expect(drops()).toEqual([
      { subject: 'w1', detail: expect.objectContaining({ keyDeleted: true, templatesDestroyed: 1, withdrawalSeq: 1 }) },
      { subject: 'w2', detail: expect.objectContaining({ keyDeleted: false, withdrawalSeq: 2 }) },
    ]);
  });

  it('records a startup key deletion once the audit log opens', () => {
    fixture = createAuditFixture({ dir: stateDir });
    let auditOpen = false;
    watcher = new WithdrawalWatcher({ stateDir, gallery, reload: () => (reloads += 1), intervalMs: 60_000, logger: silentLogger(), audit: () => (auditOpen ? fixture!.audit : undefined) });
    gallery.removeSubject('w2');
    queueWithdrawal('w1');
    queueWithdrawal('w2');
    const startedAt = Date.now();
    watcher.start();
    expect(gallery.hasSubject('w1')).toBe(false);
    expect(drops()).toEqual([]);

    auditOpen = true;
    expect(watcher.check()).toBe(0);
    // w2's key was gone before start, so the matcher built at start never held it: no entry.
    const recorded = drops();
    expect(recorded.map((drop) => drop.subject)).toEqual(['w1']);
    expect(recorded[0]!.detail).toMatchObject({ keyDeleted: true, templatesDestroyed: 1 });
    expect(Date.parse(String(recorded[0]!.detail.droppedAt))).toBeGreaterThanOrEqual(startedAt - 1000);
  });
});
