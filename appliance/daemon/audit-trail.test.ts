import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { createAuditFixture, type AuditFixture } from '../audit/test-helpers.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { GateAudit, auditDraftForEvent, fileSha256 } from './audit-trail.js';

const EVENT = {
  eventId: '01939a6e-1f00-7000-8000-000000000001',
  subject: 'p_0123456789abcdef0123456789abcdef',
  decision: 'granted',
  method: 'face',
  reason: 'match',
  doorActuated: true,
  direction: 'in',
} as AttendanceEvent;

describe('auditDraftForEvent', () => {
  it('maps a face grant to a decision', () => {
    const draft = auditDraftForEvent(EVENT);
    expect(draft.action).toBe('recognition.decision');
    expect(draft.actor).toEqual({ kind: 'worker', id: EVENT.subject });
    expect(draft.outcome).toBe('success');
    expect(draft.eventId).toBe(EVENT.eventId);
  });

  it.each([
    ['exit-button', 'door.exit-button'],
    ['pin', 'fallback.clock-in'],
    ['badge', 'fallback.clock-in'],
  ] as const)('maps method %s to %s', (method, action) => {
    expect(auditDraftForEvent({ ...EVENT, method }).action).toBe(action);
  });

  it('marks a denial as denied by the system', () => {
    const draft = auditDraftForEvent({ ...EVENT, decision: 'unknown', subject: null, reason: 'no-match' });
    expect(draft.outcome).toBe('denied');
    expect(draft.actor).toEqual({ kind: 'system', id: null });
    expect(draft.reason).toBe('no-match');
  });
});

describe('GateAudit', () => {
  let fixture: AuditFixture;
  let trail: GateAudit;

  beforeEach(() => {
    fixture = createAuditFixture();
    trail = new GateAudit(fixture.audit, silentLogger());
  });

  afterEach(async () => {
    await fixture.close();
    fs.rmSync(fixture.dir, { recursive: true, force: true });
  });

  it('writes a schema-valid entry for each action', () => {
    trail.serviceStart({ firmware: '0.1.0', configFile: '/etc/facegate/facegate.yaml', configSha256: 'a'.repeat(64) });
    trail.repeatGrant('p_0123456789abcdef0123456789abcdef', true);
    trail.doorForced('2026-12-04T10:00:00.000+08:00');
    trail.doorHeldOpen(31_234.5, '2026-12-04T10:00:00.000+08:00');
    trail.galleryReload({ templates: 12, subjects: 4, rejected: 0 });
    trail.galleryReload({ error: 'data key\nwrong' });
    trail.visionRestart(2);
    trail.outboxOverflow({ depth: 100_001, limit: 100_000, hardLimit: 200_000 });
    trail.serviceStop(3600);

    const rows = fixture.outbox.transaction((db) => db.prepare<[], { action: string; outcome: string; reason: string | null }>('SELECT action, outcome, reason FROM audit_entries ORDER BY seq').all());
    expect(rows.map((row) => row.action)).toEqual([
      'service.start',
      'config.load',
      'recognition.decision',
      'door.forced',
      'door.held-open',
      'gallery.reload',
      'gallery.reload',
      'vision.restart',
      'outbox.overflow',
      'service.stop',
    ]);
    expect(rows[2]!.reason).toBe('repeat-within-debounce');
    expect(rows[6]!.outcome).toBe('failure');
  });

  it('skips config.load without a file', () => {
    trail.serviceStart({ firmware: '0.1.0', configFile: null, configSha256: null });
    expect(fixture.audit.head().size).toBe(1);
  });

  it('logs rather than throws on a failed write', async () => {
    await fixture.close();
    expect(() => trail.doorForced('2026-12-04T10:00:00.000+08:00')).not.toThrow();
  });
});

describe('fileSha256', () => {
  it('returns null for a missing file', () => {
    expect(fileSha256('/nonexistent/facegate.yaml')).toBeNull();
  });
});
