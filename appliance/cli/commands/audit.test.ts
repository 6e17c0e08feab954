import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { savePublicKey } from '../../../protocol/keys.js';
import { envelopeTestKeys } from '../../../test/support/events.js';
import { silentLogger } from '../../common/logger.js';
import { createAuditFixture, openAsAttacker, recordSamples, type AuditFixture } from '../../audit/test-helpers.js';
import type { Locale } from '../../i18n/locale.js';
import { createContext } from '../context.js';
import { reportError } from '../report-error.js';
import { auditCommand } from './audit.js';

const keys = envelopeTestKeys();
let fixture: AuditFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function audit(argv: string[], locale: Locale = 'en'): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const context = createContext(locale, silentLogger(), stdout.stream, stderr.stream);
  let code: number;
  try {
    code = await auditCommand.run(context, argv);
  } catch (error) {
    code = reportError(context, error);
  }
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** 20 sample entries from 08:00:01 on 2026-12-01, one second apart, with two checkpoints. */
async function deviceLog(): Promise<{ dir: string; keyFile: string }> {
  fixture = createAuditFixture();
  recordSamples(fixture, 10);
  fixture.audit.createCheckpoint(keys.device.privateKey);
  recordSamples(fixture, 10);
  fixture.audit.createCheckpoint(keys.device.privateKey);
  const keyFile = path.join(fixture.dir, 'device.pub.pem');
  savePublicKey(keyFile, keys.device.publicKey);
  await fixture.close();
  const dir = fixture.dir;
  fixture = undefined;
  return { dir, keyFile };
}

describe('facegate audit', () => {
  it('verify reports an intact log', async () => {
    const { dir, keyFile } = await deviceLog();
    const result = await audit(['verify', '--state', dir, '--key', keyFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Audit chain intact: 20 entries (seq 1 to 20), 2 of 2 checkpoints verified.');
  });

  it('verify names the first bad seq', async () => {
    const { dir, keyFile } = await deviceLog();
    const db = openAsAttacker(dir);
    db.prepare("UPDATE audit_entries SET reason = 'no-reason' WHERE seq = 12").run();
    db.close();
    const result = await audit(['verify', '--state', dir, '--key', keyFile]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/first bad entry is seq 12/);
    const zh = await audit(['verify', '--state', dir, '--key', keyFile], 'zh-Hant');
    expect(zh.stdout).toMatch(/第一筆有問題的紀錄序號為 12/);
  });

  it('exports a period that verifies on its own', async () => {
    const { dir, keyFile } = await deviceLog();
    const out = path.join(dir, 'export.jsonl');
    const exported = await audit(['export', '--state', dir, '--from', '2026-12-01T08:00:05+08:00', '--to', '2026-12-01T08:00:16+08:00', '--out', out]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('Exported 11 entries and 1 checkpoints');
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!).anchor.seq).toBe(4);

    const verified = await audit(['verify', '--file', out, '--key', keyFile, '--json']);
    const result = JSON.parse(verified.stdout) as { ok: boolean; firstSeq: number; lastSeq: number; checkpoints: { verified: number } };
    expect(result).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 15, checkpoints: { verified: 1 } });

    // Swap two entry lines: the export must fail verification at the first one moved.
    [lines[3], lines[4]] = [lines[4]!, lines[3]!];
    fs.writeFileSync(out, `${lines.join('\n')}\n`);
    const reordered = await audit(['verify', '--file', out, '--key', keyFile]);
    expect(reordered.code).toBe(1);
    expect(reordered.stdout).toMatch(/first bad entry is seq 7/);
  });

  it('exports CSV with one row per entry', async () => {
    const { dir } = await deviceLog();
    const result = await audit(['export', '--state', dir, '--format', 'csv', '--to', '2026-12-01T08:00:04+08:00']);
    const rows = result.stdout.trim().split('\r\n');
    expect(rows[0]).toMatch(/^seq,entryId,wallTime,clockState/);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toContain(',technician.sign-in,');
    expect(rows[2]).toContain(',failure,wrong-password,192.0.2.10,');
  });

  it('reports consent, withdrawals and security in English and Chinese', async () => {
    const { dir, keyFile } = await deviceLog();
    const en = await audit(['report', '--state', dir, '--key', keyFile, '--from', '2026-12-01', '--to', '2026-12-01']);
    expect(en.code).toBe(0);
    expect(en.stdout).toContain('Chain: intact. 20 entries in the log, 2 of 2 checkpoints verified, signatures checked.');
    expect(en.stdout).toContain('Entries with a synchronised clock: 100.0 % (20 of 20)');
    expect(en.stdout).toContain('Enrolments in the period: 2, with valid consent at the time: 2');
    expect(en.stdout).toContain('Consent withdrawals in the period: 2, honoured (templates erased): 2');
    expect(en.stdout).toContain('median 1 s, slowest 1 s');
    expect(en.stdout).toContain('Failed technician sign-ins: 2');
    expect(en.stdout).toMatch(/technician\.sign-in\s+4\s+2\s+2\s+0/);

    const zh = await audit(['report', '--state', dir, '--key', keyFile, '--from', '2026-12-01', '--to', '2026-12-01'], 'zh-Hant');
    expect(zh.stdout).toContain('裝置 gate-01（地點 mo-taipa-01）稽核報告');
    expect(zh.stdout).toContain('期間內撤回同意：2 次，已執行（範本已銷毀）：2 次');
    expect(zh.stdout).toContain('技術人員登入失敗：2 次');
  });

  it('report shows an enrolment without consent', async () => {
    fixture = createAuditFixture();
    fixture.audit.record({ actor: { kind: 'technician', id: 'tech.wong' }, action: 'enrolment.add', object: { kind: 'subject', id: 'sub_B' }, outcome: 'success' });
    const result = await audit(['report', '--state', fixture.dir, '--format', 'json']);
    const report = JSON.parse(result.stdout) as { consent: { enrolmentsWithoutConsent: string[]; enrolledWithConsentAtEnd: number } };
    expect(report.consent.enrolmentsWithoutConsent).toEqual(['sub_B']);
    expect(report.consent.enrolledWithConsentAtEnd).toBe(0);
  });

  it('rejects a bad period with the value and the fix', async () => {
    const { dir } = await deviceLog();
    const result = await audit(['export', '--state', dir, '--from', 'yesterday']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--from "yesterday" is not a date or an RFC 3339 time');
    expect(result.stderr).toContain('2026-12-01T08:00:00+08:00');
  });

  it('names a missing database', async () => {
    const result = await audit(['verify', '--state', '/nonexistent/facegate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot open the audit database /nonexistent/facegate/outbox.db');
  });
});
