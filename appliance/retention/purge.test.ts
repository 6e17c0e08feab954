import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { randomUnitVector, seededRandom } from '../gallery/random-vectors.js';
import { Gallery } from '../gallery/store.js';
import { RosterStore } from '../../provisioning/roster/store.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { RetentionPurger } from './purge.js';

const random = seededRandom(11);
let stateDir: string;
let gallery: Gallery;
let reloads: number;
let purger: RetentionPurger;

function setRoster(ids: string[]): void {
  const roster = RosterStore.open({ stateDir, logger: silentLogger() });
  roster.importWorkers(ids.map((workerId) => ({ workerId, displayName: `Worker ${workerId}`, domicile: 'macau' as const })), { source: 'test.csv', now: new Date(), replace: true });
  roster.close();
}

beforeEach(() => {
  stateDir = makeTempDir('retention');
  gallery = Gallery.open({ stateDir, logger: silentLogger() });
  for (const id of ['w1', 'w2', 'w3']) {
    gallery.addSubject(id);
    gallery.addTemplates(id, [randomUnitVector(random, gallery.dimension)], { modelVersion: 'test-model', quality: [1] });
  }
  reloads = 0;
  purger = new RetentionPurger({ stateDir, gallery, reload: () => (reloads += 1), logger: silentLogger() });
});

afterEach(() => {
  purger.stop();
  gallery.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('RetentionPurger', () => {
  it('skips a device without roster', () => {
    expect(purger.purge()).toEqual({ removed: [], skipped: true });
    expect(gallery.listSubjects()).toHaveLength(3);
  });

  it('destroys workers off the roster', () => {
    setRoster(['w1', 'w3', 'w9']);
    expect(purger.purge()).toEqual({ removed: ['w2'], skipped: false });
    expect(gallery.listSubjects().map((subject) => subject.id)).toEqual(['w1', 'w3']);
    expect(gallery.loadTemplates().templates.map((template) => template.subjectId).sort()).toEqual(['w1', 'w3']);
    expect(reloads).toBe(1);
  });

  it('reloads nothing when all remain', () => {
    setRoster(['w1', 'w2', 'w3']);
    expect(purger.purge()).toEqual({ removed: [], skipped: false });
    expect(reloads).toBe(0);
  });

  it('purges once at start', () => {
    setRoster(['w1']);
    purger.start();
    expect(gallery.listSubjects().map((subject) => subject.id)).toEqual(['w1']);
  });
});
