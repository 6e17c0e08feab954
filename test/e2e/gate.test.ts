import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditMessage, type AuditEntry, type Checkpoint } from '../../appliance/audit/index.js';
import { OUTBOX_FILE } from '../../appliance/outbox/outbox.js';
import { ENROLLED, PRINT_ATTACK, REPLAY_ATTACK, STRANGER, probePhoto } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { keyId, loadPrivateKey, loadPublicKey } from '../../protocol/keys.js';
import { fleetFilter } from '../../protocol/topics.js';
import { runCli } from '../helpers/cli.js';
import { connectFleetClient, type FleetClient } from '../support/fleet-client.js';
import { DEVICE_ID, SITE_ID, createGateFixture, within, type GateFixture, type RunningDaemon } from './support/gate-fixture.js';

// One daemon watches one video: an enrolled worker, a stranger, a screen replay and a printed photo,
// with empty scene between them. The fleet side must receive exactly the events the door acted on.

const WORKER = ENROLLED[0]!;

describe('gate daemon end to end', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;
  let events: AttendanceEvent[];
  let auditClient: FleetClient;
  let configFile: string;

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
    auditClient = await connectFleetClient(fixture.broker, { filters: [fleetFilter('audit')] });
    // JSON is YAML, so the daemon can name this file as its configuration for the config.load entry.
    configFile = path.join(fixture.dir, 'facegate.yaml');
    const input = fixture.configInput({ type: 'file', path: video });
    fs.writeFileSync(configFile, JSON.stringify(input));
    run = await fixture.startDaemon(fixture.config({ type: 'file', path: video }), { configFile });
    await within(run.inputEnded, 30_000, 'the end of the video');
    await run.daemon.settled();
    await fixture.subscriber.waitForUnique(run.committed.length, 10_000);
    await run.daemon.stop();
    events = [...fixture.subscriber.unique.values()].map((received) => received.event).sort((a, b) => a.seq - b.seq);
  });

  afterAll(async () => {
    await auditClient?.close();
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
    expect(steps).toEqual([
      'keys',
      'clock sync',
      'gallery, matcher and calibration',
      'consent withdrawals',
      'retention purge',
      'vision worker (warm-up)',
      'outbox',
      'door and GPIO',
      'publisher',
      'audit log and shipper',
      'remote commands',
      'camera',
      'frame loop',
      'health and watchdog',
    ]);
    const stopped = run.logs.matching(/^stopped: /).map((line) => line.step);
    // Loading keys leaves nothing to release, so that step has no stop.
    expect(stopped).toEqual([...steps].reverse().filter((step) => step !== 'keys'));
    expect(run.logs.matching(/^ready: /)).toHaveLength(1);
  });

  describe('audit trail', () => {
    interface StoredEntry {
      id: string;
      seq: number;
      action: string;
      outcome: string;
      event_id: string | null;
      actor_id: string | null;
      detail: string;
    }
    let stored: StoredEntry[];

    beforeAll(() => {
      const db = new Database(path.join(fixture.stateDir, OUTBOX_FILE), { readonly: true });
      try {
        stored = db.prepare<[], StoredEntry>('SELECT id, seq, action, outcome, event_id, actor_id, detail FROM audit_entries ORDER BY position').all();
      } finally {
        db.close();
      }
    });

    it('links each event to its audit entry', () => {
      for (const event of events) {
        expect(event.auditEntryId).not.toBeNull();
        const entry = stored.find((candidate) => candidate.id === event.auditEntryId);
        expect(entry, `audit entry of event ${event.seq}`).toBeDefined();
        expect(entry!.event_id).toBe(event.eventId);
      }
      const granted = events.find((event) => event.decision === 'granted')!;
      const entry = stored.find((candidate) => candidate.id === granted.auditEntryId)!;
      expect(entry.action).toBe('recognition.decision');
      expect(entry.outcome).toBe('success');
      expect(entry.actor_id).toBe(granted.subject);
    });

    it('records start, configuration and stop', () => {
      expect(stored[0]!.action).toBe('service.start');
      const loaded = stored.find((entry) => entry.action === 'config.load')!;
      expect(loaded.outcome).toBe('success');
      const detail = JSON.parse(loaded.detail) as { sha256: string };
      expect(detail.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.at(-1)!.action).toBe('service.stop');
      expect(stored.map((entry) => entry.seq)).toEqual(stored.map((_, index) => index + 1));
    });

    it('passes facegate audit verify', async () => {
      const result = await runCli(['--log-level', 'silent', 'audit', 'verify', '--state', fixture.stateDir, '--key', fixture.keys.devicePublicKeyFile, '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { ok: boolean; entries: number; checkpoints: { verified: number } };
      expect(report.ok).toBe(true);
      expect(report.entries).toBe(stored.length);
      expect(report.checkpoints.verified).toBeGreaterThanOrEqual(1);
    });

    it('ships every entry and a last checkpoint to the fleet', async () => {
      const fleetKey = loadPrivateKey(fixture.keys.fleetPrivateKeyFile);
      const deviceKey = loadPublicKey(fixture.keys.devicePublicKeyFile);
      const kid = keyId(deviceKey);
      const opened = async (): Promise<Array<AuditEntry | Checkpoint>> => {
        const items: Array<AuditEntry | Checkpoint> = [];
        for (const message of auditClient.messages) {
          const result = await openAuditMessage(message.payload, {
            fleetPrivateKey: fleetKey,
            resolveDeviceKey: (candidate) => (candidate === kid ? { publicKey: deviceKey, deviceId: DEVICE_ID, siteId: SITE_ID } : undefined),
            topic: message.topic,
          });
          items.push(result.payload.kind === 'entry' ? result.payload.entry : result.payload.checkpoint);
        }
        return items;
      };
      await auditClient.waitFor((messages) => messages.length >= stored.length + 1, 10_000, 'the audit entries and a checkpoint');
      const items = await opened();
      const entries = items.filter((item): item is AuditEntry => 'entryId' in item);
      const checkpoints = items.filter((item): item is Checkpoint => !('entryId' in item));
      expect([...new Set(entries.map((entry) => entry.seq))].sort((a, b) => a - b)).toEqual(stored.map((entry) => entry.seq));
      expect(Math.max(...checkpoints.map((checkpoint) => checkpoint.size))).toBe(stored.length);
    });
  });
});
