import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadPrivateKey } from '../../protocol/keys.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { statePaths } from '../../provisioning/paths.js';
import { runCli, type CliRun } from '../../test/helpers/cli.js';
import { provisionTestDevice } from '../../test/helpers/device-state.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { silentLogger } from '../common/logger.js';
import { ConsentService } from '../consent/service.js';
import { ConsentStore } from '../consent/store.js';
import { recordConsentForTests } from '../consent/testing.js';
import { WithdrawalWatcher } from '../consent/watcher.js';
import { randomUnitVector, seededRandom } from '../gallery/random-vectors.js';
import { Gallery } from '../gallery/store.js';
import { Outbox } from '../outbox/outbox.js';
import { AuditLog } from './log.js';
import type { AuditReport } from './report.js';

/**
 * The withdrawal figures of `facegate audit report` on a real state folder: one withdrawal through
 * `facegate consent withdraw`, the others through the `ConsentService` a running daemon uses for
 * the `withdraw-consent` command, with the daemon's withdrawal watcher recording the matcher drops.
 */

const logger = silentLogger();
const random = seededRandom(11);
const DAY_MS = 86_400_000;
let stateDir: string;
let daemon: { gallery: Gallery; outbox: Outbox; audit: AuditLog; service: ConsentService; watcher: WithdrawalWatcher } | undefined;

function facegate(...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--state', stateDir, '--log-level', 'silent']);
}

/** `audit report` over yesterday to tomorrow (Macau dates), so a run near midnight still covers every entry. */
function report(locale: string, format = 'text'): Promise<CliRun> {
  const day = (offset: number) => formatMacauTime(Date.now() + offset * DAY_MS).slice(0, 10);
  return facegate('audit', 'report', '--from', day(-1), '--to', day(1), '--lang', locale, '--format', format);
}

async function reportJson(): Promise<AuditReport> {
  const run = await report('en', 'json');
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as AuditReport;
}

function enrol(subjectId: string, templates: number): void {
  daemon!.gallery.addSubject(subjectId);
  const embeddings = Array.from({ length: templates }, () => randomUnitVector(random, daemon!.gallery.dimension));
  daemon!.gallery.addTemplates(subjectId, embeddings, { modelVersion: 'test-model', quality: 1 });
}

function remoteWithdraw(subjectId: string) {
  return daemon!.service.withdraw({ subjectId, method: 'remote-command', actor: { kind: 'operator', id: 'hr.lam' }, sourceAddress: null });
}

/** Make every DELETE on the gallery's templates fail, as a full or failing disk would. */
function blockTemplateDeletes(blocked: boolean): void {
  const db = new Database(path.join(stateDir, 'gallery.db'));
  try {
    db.exec(
      blocked
        ? "CREATE TRIGGER block_template_delete BEFORE DELETE ON templates BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        : 'DROP TRIGGER block_template_delete',
    );
  } finally {
    db.close();
  }
}

function auditDetails(action: string): Array<{ subject: string; reason: string | null; detail: Record<string, unknown> }> {
  const db = new Database(path.join(stateDir, 'outbox.db'), { readonly: true });
  try {
    const rows = db
      .prepare<[string], { object_id: string; reason: string | null; detail: string }>('SELECT object_id, reason, detail FROM audit_entries WHERE action = ? ORDER BY seq')
      .all(action);
    return rows.map((row) => ({ subject: row.object_id, reason: row.reason, detail: JSON.parse(row.detail) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  stateDir = makeTempDir('audit-report');
  provisionTestDevice(
    stateDir,
    ['1001', '1002', '1003', '1004'].map((workerId) => ({ workerId, displayName: `Worker ${workerId}`, domicile: 'macau' as const })),
  );
  await recordConsentForTests(stateDir, ['1001', '1002', '1003', '1004']);

  // The parts of a running daemon that take part in a withdrawal.
  const gallery = Gallery.open({ stateDir, logger });
  const outbox = Outbox.open({ stateDir, deviceId: 'gate-01', logger, minFreeDiskBytes: 0 });
  const audit = AuditLog.attach({ outbox, siteId: 'site-taipa', logger });
  const service = new ConsentService({
    store: ConsentStore.open({ stateDir, logger }),
    gallery,
    audit,
    deviceKey: loadPrivateKey(statePaths(stateDir).signingKey),
    deviceId: 'gate-01',
    siteId: 'site-taipa',
    parties: { controller: 'Obras Exemplo Lda.', contact: 'dpo@example.test', retentionDays: 30 },
    logger,
  });
  const watcher = new WithdrawalWatcher({ stateDir, gallery, reload: () => gallery.loadTemplates(), intervalMs: 60_000, logger, audit: () => audit });
  daemon = { gallery, outbox, audit, service, watcher };
  enrol('1001', 3);
  enrol('1002', 2);
  enrol('1004', 2);
  watcher.start();
});

afterAll(async () => {
  daemon?.watcher.stop();
  await daemon?.outbox.close();
  daemon?.gallery.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('audit report withdrawals', () => {
  it('counts CLI and remote withdrawals honoured', async () => {
    const cli = await facegate('consent', 'withdraw', '--subject', '1001', '--witness', 'tech.lei', '--lang', 'en');
    expect(cli.code).toBe(0);
    const remote = await remoteWithdraw('1002');
    expect(remote.templatesDestroyed).toBe(2);
    // 1003 consented but was never enrolled: nothing to destroy.
    expect((await remoteWithdraw('1003')).templatesDestroyed).toBe(0);
    expect(daemon!.watcher.check()).toBe(3);

    expect(daemon!.gallery.listSubjects().map((subject) => subject.id)).toEqual(['1004']);
    const drops = auditDetails('matcher.drop');
    expect(drops.map((drop) => drop.subject)).toEqual(['1001', '1002', '1003']);
    expect(drops.every((drop) => drop.reason === 'consent-withdrawn' && drop.detail.keyDeleted === false)).toBe(true);

    const json = await reportJson();
    expect(json.withdrawals.total).toBe(3);
    expect(json.withdrawals.honoured).toBe(3);
    expect(json.withdrawals.withoutTemplates).toBe(1);
    expect(json.withdrawals.pending).toEqual([]);
    expect(json.withdrawals.matcher.dropped).toBe(2);
    expect(json.withdrawals.matcher.notRecorded).toEqual([]);
    expect(json.withdrawals.maxDelayMs).toBe(0);
    expect(json.withdrawals.matcher.maxDelayMs).toBeGreaterThanOrEqual(0);
    expect(json.withdrawals.matcher.maxDelayMs).toBeLessThan(30_000);
    expect(json.consent.enrolledAtEnd).toBe(0);

    const en = await report('en');
    expect(en.code).toBe(0);
    expect(en.stdout).toContain('Consent withdrawals in the period: 3, honoured (templates erased): 3');
    expect(en.stdout).toContain('Of these, workers with no templates (nothing to destroy): 1');
    expect(en.stdout).toContain('Time from withdrawal to templates destroyed: median 0 ms, slowest 0 ms');
    expect(en.stdout).toMatch(/Dropped from the running gate's matcher: 2; time from withdrawal to drop \(upper bound\): median \d+ ms, slowest \d+ ms/);
    expect(en.stdout).not.toContain('NOT yet honoured');

    const zh = await report('zh-Hant');
    expect(zh.code).toBe(0);
    expect(zh.stdout).toContain('期間內撤回同意：3 次，已執行（範本已銷毀）：3 次');
    expect(zh.stdout).toContain('其中沒有範本的人員（無需銷毀）：1 人');
    expect(zh.stdout).toMatch(/已從運行中閘機的比對器移除：2 人/);
    expect(zh.stdout).not.toContain('尚未執行的撤回');
  });

  it('shows a withdrawal pending while templates remain', async () => {
    blockTemplateDeletes(true);
    await expect(remoteWithdraw('1004')).rejects.toThrow(/disk I\/O error/);
    const withdrawn = auditDetails('consent.withdraw').at(-1)!;
    expect(withdrawn).toMatchObject({ subject: '1004', reason: 'templates-not-destroyed', detail: { templatesDestroyed: 0, templatesRemaining: 2 } });

    const pending = await reportJson();
    expect(pending.withdrawals.total).toBe(4);
    expect(pending.withdrawals.honoured).toBe(3);
    expect(pending.withdrawals.pending).toEqual(['1004']);
    const en = await report('en');
    expect(en.stdout).toContain('Withdrawals NOT yet honoured: 1004');
    const zh = await report('zh-Hant');
    expect(zh.stdout).toContain('尚未執行的撤回：1004');

    // The daemon's watcher finishes the deletion once the disk accepts it again.
    blockTemplateDeletes(false);
    expect(daemon!.watcher.check()).toBe(1);
    expect(daemon!.gallery.hasSubject('1004')).toBe(false);
    expect(auditDetails('matcher.drop').at(-1)).toMatchObject({ subject: '1004', detail: { keyDeleted: true, templatesDestroyed: 2 } });

    const finished = await reportJson();
    expect(finished.withdrawals.honoured).toBe(4);
    expect(finished.withdrawals.pending).toEqual([]);
    expect(finished.withdrawals.matcher.dropped).toBe(3);
  });

  it('leaves a CLI withdrawal without drop unrecorded', async () => {
    // No watcher check after this withdrawal: the running gate has not dropped the worker yet.
    await recordConsentForTests(stateDir, ['1001']);
    enrol('1001', 1);
    const cli = await facegate('consent', 'withdraw', '--subject', '1001', '--witness', 'tech.lei', '--lang', 'en');
    expect(cli.code).toBe(0);

    const json = await reportJson();
    expect(json.withdrawals.honoured).toBe(5);
    expect(json.withdrawals.matcher.notRecorded).toEqual(['1001']);
    const en = await report('en');
    expect(en.stdout).toContain('No record of the running gate dropping: 1001');
  });
});
