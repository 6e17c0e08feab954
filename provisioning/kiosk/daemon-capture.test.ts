import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED, probePhoto } from '../../demo/lib/cast.js';
import { recordConsentForTests } from '../../appliance/consent/testing.js';
import { faceScene, writeScenes } from '../../appliance/enrolment/testing.js';
import { createGateFixture, type GateFixture, type RunningDaemon } from '../../test/e2e/support/gate-fixture.js';
import { freePort } from '../../test/support/mosquitto.js';
import { TechnicianAccounts } from './technicians.js';
import { KioskClient } from './test-client.js';

// A kiosk enrolment inside a running daemon whose camera shows an enrolled worker. While the
// capture and the duplicate question last, the gate opens the door for no face. Afterwards it opens
// again, and a confirmed enrolment reaches the gate's matcher.

const PASSWORD = 'correct horse battery';
const ENROLLED_WORKER = ENROLLED[0]!;
const NEW_WORKER = 'W009';

let fixture: GateFixture;
let run: RunningDaemon;
let technician: KioskClient;

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Times the daemon energised the door relay so far. */
function relayPulses(): number {
  return run.gpio.transitions('relay').filter((transition) => transition.cause === 'set' && transition.value).length;
}

/** Poll a kiosk page until it contains `marker`, as its own script would. */
async function pageShowing(page: string, marker: string): Promise<string> {
  // Generous, because a loaded CI machine analyses few frames a second for the capture.
  const deadline = performance.now() + 45_000;
  let last = '';
  while (performance.now() < deadline) {
    const reply = await technician.get(`${page}?lang=en`);
    if (reply.body.includes(marker)) return reply.body;
    last = reply.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const shown = last.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  throw new Error(`${page} did not show ${marker} within 45 s; it showed: ${shown.slice(0, 400)}`);
}

function grantsSince(count: number): number {
  return run.decisions.slice(count).filter((entry) => entry.decision.decision === 'granted').length;
}

function auditActions(): Array<{ action: string; reason: string | null }> {
  const db = new Database(path.join(fixture.stateDir, 'outbox.db'), { readonly: true });
  try {
    return db.prepare("SELECT action, reason FROM audit_entries WHERE action LIKE 'enrolment.%' OR action = 'gallery.reload' ORDER BY seq, position").all() as never;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  fixture = await createGateFixture({ enrol: [ENROLLED_WORKER] });
  await recordConsentForTests(fixture.stateDir, [ENROLLED_WORKER.subjectId, NEW_WORKER]);
  TechnicianAccounts.forStateDir(fixture.stateDir).setPassword('tech.lei', PASSWORD);
  const scenes = path.join(fixture.dir, 'scenes');
  writeScenes(scenes, [await faceScene(probePhoto(fixture.dataDir, ENROLLED_WORKER))]);
  const port = await freePort();
  run = await fixture.startDaemon(
    fixture.config(
      { type: 'folder', path: scenes, fps: 10, loop: true },
      {
        // A new track, and so a new decision, every second while the worker is at the gate.
        decision: { votesRequired: 3, trackTimeoutMs: 500, debounceMs: 0, maxTrackAgeMs: 1_000 },
        consent: { controller: 'Test Employer Lda.', contact: 'privacy@example.test' },
        kiosk: { enabled: true, host: '127.0.0.1', port, certFile: fixture.broker.pki.server.cert, keyFile: fixture.broker.pki.server.key, captureTimeoutS: 40 },
      },
    ),
  );
  technician = new KioskClient(port, fs.readFileSync(fixture.broker.pki.caFile), 'daemon-capture-test');
  await technician.signIn('tech.lei', PASSWORD);
}, 30_000);

afterAll(async () => {
  await run?.daemon.stop();
  await fixture?.cleanup();
});

describe('kiosk capture in the daemon', () => {
  it('pauses the gate during a capture', async () => {
    await until('a grant for the enrolled worker', () => (grantsSince(0) > 0 ? true : undefined));

    const started = await technician.post('/enrol', { subject: NEW_WORKER, lang: 'en' });
    expect(started.status).toBe(303);
    const page = started.location!.replace(/\?.*$/, '');
    const decisionsAtStart = run.decisions.length;
    const analysedAtStart = run.analysed.length;
    const pulsesAtStart = relayPulses();

    // The camera shows the enrolled worker, so the capture ends in a duplicate warning.
    const warning = await pageShowing(page, 'id="duplicate"');
    expect(warning).toContain(`matches worker ${ENROLLED_WORKER.subjectId}`);
    // The gate leaves the vision worker to the capture: at most the analysis in flight at the start finishes.
    expect(run.analysed.length - analysedAtStart).toBeLessThanOrEqual(1);
    expect(run.decisions.length).toBe(decisionsAtStart);
    expect(relayPulses()).toBe(pulsesAtStart);

    const cancelled = await technician.post(`${page}/cancel`, { lang: 'en' });
    expect(cancelled.status).toBe(303);
    expect((await technician.get(`${page}?lang=en`)).body).toContain('Nothing was stored.');
    // After the grace time the gate decides for faces again.
    await until('a grant after the capture', () => (grantsSince(decisionsAtStart) > 0 ? true : undefined));
    expect(relayPulses()).toBeGreaterThan(pulsesAtStart);
    expect(auditActions().slice(-2)).toEqual([
      { action: 'enrolment.start', reason: null },
      { action: 'enrolment.cancel', reason: 'duplicate-rejected' },
    ]);
  }, 90_000);

  it('loads a confirmed enrolment into the matcher', async () => {
    const started = await technician.post('/enrol', { subject: NEW_WORKER, lang: 'en' });
    const page = started.location!.replace(/\?.*$/, '');
    await pageShowing(page, 'id="duplicate"');
    const reloadsBefore = run.logs.matching(/gallery reloaded into the matcher/).length;
    await technician.post(`${page}/confirm`, { lang: 'en' });
    expect((await technician.get(`${page}?lang=en`)).body).toContain(`Worker ${NEW_WORKER} is enrolled.`);
    const reloaded = run.logs.matching(/gallery reloaded into the matcher/);
    expect(reloaded.length).toBe(reloadsBefore + 1);
    expect(reloaded.at(-1)?.subjects).toBe(2);
    expect(auditActions().slice(-4).map((entry) => entry.action)).toEqual(['enrolment.start', 'enrolment.duplicate-confirm', 'gallery.reload', 'enrolment.add']);
  }, 90_000);
});
