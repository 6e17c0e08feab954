import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateSigningKeyPair, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { writeIdentity } from '../../provisioning/identity/identity.js';
import { statePaths } from '../../provisioning/paths.js';
import { RosterStore } from '../../provisioning/roster/store.js';
import { runCli, type CliRun } from '../../test/helpers/cli.js';
import { lfwPhoto, makeTempDir } from '../../test/helpers/faces.js';
import { EXIT } from '../cli/context.js';
import { Gallery } from '../gallery/store.js';
import { CONSENT_PURPOSE, renderForm } from './forms.js';
import { ConsentStore } from './store.js';
import { CredentialStore } from '../fallback/credentials.js';
import { TechnicianAccounts } from '../../provisioning/kiosk/technicians.js';

const silent = pino({ level: 'silent' });
let stateDir: string;
let workDir: string;
let publicKeyFile: string;

function facegate(...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--state', stateDir, '--lang', 'en', '--log-level', 'silent']);
}

function grant(subject: string, ...extra: string[]): Promise<CliRun> {
  return facegate('consent', 'grant', '--subject', subject, '--witness', 'tech.lei', '--controller', 'Obras Exemplo Lda.', '--contact', 'dpo@example.test', ...extra);
}

function auditRows(): Array<{ action: string; actor_kind: string; object_kind: string; object_id: string }> {
  const db = new Database(path.join(stateDir, 'outbox.db'), { readonly: true });
  try {
    return db.prepare("SELECT action, actor_kind, object_kind, object_id FROM audit_entries WHERE action LIKE 'consent.%' ORDER BY position").all() as never;
  } finally {
    db.close();
  }
}

/** Return the line of the output that is a compact JWS. */
function receiptFrom(stdout: string): string {
  const line = stdout.split('\n').find((candidate) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(candidate));
  if (line === undefined) throw new Error(`no receipt in output:\n${stdout}`);
  return line;
}

beforeAll(() => {
  stateDir = makeTempDir('consent-state');
  workDir = makeTempDir('consent-work');
  const paths = statePaths(stateDir);
  fs.mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateSigningKeyPair();
  savePrivateKey(paths.signingKey, privateKey);
  savePublicKey(paths.signingPublicKey, publicKey);
  publicKeyFile = paths.signingPublicKey;
  writeIdentity(paths, { v: 1, deviceId: 'gate-01', siteId: 'site-taipa', createdAt: new Date().toISOString(), signingKeyId: 'unused', tlsKeyFingerprint: 'unused' });
  const roster = RosterStore.open({ stateDir, logger: silent });
  roster.importWorkers(
    [
      { workerId: 'w100', displayName: 'Chan Tai Man', domicile: 'macau' },
      { workerId: 'w200', displayName: 'Li Ming', domicile: 'mainland' },
      { workerId: 'w300', displayName: 'Ana Costa', domicile: 'other' },
    ],
    { source: 'roster.csv', now: new Date() },
  );
  roster.close();
});

afterAll(() => {
  for (const dir of [stateDir, workDir]) fs.rmSync(dir, { recursive: true, force: true });
});

describe('facegate consent grant', () => {
  it('rejects a grant without the separate choice', async () => {
    const run = await grant('w100');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('did not tick the separate consent to facial recognition');
    const store = ConsentStore.open({ stateDir, logger: silent });
    expect(store.history('w100')).toEqual([]);
    store.close();
  });

  it('rejects a worker not on the roster', async () => {
    const run = await grant('w999', '--accept-face-recognition');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('Worker w999 is not on this device');
  });

  it('records a Macau resident in zh-Hant', async () => {
    const run = await grant('w100', '--accept-face-recognition', '--receipt-out', path.join(workDir, 'w100.jws'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('澳門《個人資料保護法》第 8/2005 號法律');
    expect(run.stdout).toContain('Obras Exemplo Lda.');
    expect(run.stdout).not.toContain('个人信息保护法');

    const store = ConsentStore.open({ stateDir, logger: silent });
    const record = store.active('w100', CONSENT_PURPOSE)!;
    store.close();
    expect(record.law).toBe('macau-pdpa');
    expect(record.witness).toBe('tech.lei');
    const expected = renderForm('macau-pdpa-notice', 'zh-Hant', { controller: 'Obras Exemplo Lda.', contact: 'dpo@example.test', retentionDays: 30 });
    expect(record.forms).toEqual([{ id: 'macau-pdpa-notice', version: expected.version, locale: 'zh-Hant', sha256: expected.sha256 }]);
    expect(record.steps.map((step) => step.step)).toEqual(['form-shown:macau-pdpa-notice', 'face-recognition-consent', 'confirm-worker-id']);
    expect(record.steps.every((step) => step.deviceId === 'gate-01' && step.locale === 'zh-Hant' && step.userAgent === 'facegate-cli')).toBe(true);
    expect(fs.readFileSync(path.join(workDir, 'w100.jws'), 'utf8').trim()).toBe(record.receipt);
  });

  it('adds the PIPL form for a mainland resident', async () => {
    const run = await grant('w200', '--accept-face-recognition');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('澳门《个人资料保护法》');
    expect(run.stdout).toContain('人脸识别单独同意书');
    const store = ConsentStore.open({ stateDir, logger: silent });
    expect(store.active('w200', CONSENT_PURPOSE)!.forms.map((form) => `${form.id}/${form.locale}`)).toEqual([
      'macau-pdpa-notice/zh-Hans',
      'pipl-separate-consent/zh-Hans',
    ]);
    store.close();
  });

  it('rejects a second grant in force', async () => {
    const run = await grant('w100', '--accept-face-recognition');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('already has consent');
  });

  it('names the subject in the audit entry', () => {
    expect(auditRows()).toEqual([
      { action: 'consent.grant', actor_kind: 'technician', object_kind: 'subject', object_id: 'w100' },
      { action: 'consent.grant', actor_kind: 'technician', object_kind: 'subject', object_id: 'w200' },
    ]);
  });
});

describe('facegate consent verify', () => {
  it('accepts the receipt offline', async () => {
    const run = await facegate('consent', 'verify', path.join(workDir, 'w100.jws'), '--public-key', publicKeyFile);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('Valid consent receipt');
    expect(run.stdout).toContain('subject: w100');
    expect(run.stdout).toContain('deviceId: gate-01');
  });

  it('rejects an altered receipt', async () => {
    const [header, payload, signature] = fs.readFileSync(path.join(workDir, 'w100.jws'), 'utf8').trim().split('.');
    const body = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...body, subject: 'w200' })).toString('base64url')}.${signature}`;
    const file = path.join(workDir, 'forged.jws');
    fs.writeFileSync(file, forged);
    const run = await facegate('consent', 'verify', file, '--public-key', publicKeyFile);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('signature check failed');
  });

  it('rejects another device key', async () => {
    const other = path.join(workDir, 'other.pub.pem');
    savePublicKey(other, generateSigningKeyPair().publicKey);
    const run = await facegate('consent', 'verify', path.join(workDir, 'w100.jws'), '--public-key', other);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('signed by key');
  });
});

describe('enrolment and withdrawal', () => {
  it('rejects enrolment without consent', async () => {
    const run = await facegate('enroll', '--subject', 'w300', '--photo', lfwPhoto('al_gore'));
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('Subject w300 has no recorded consent to facial recognition in force');
    const gallery = Gallery.open({ stateDir, logger: silent });
    expect(gallery.hasSubject('w300')).toBe(false);
    gallery.close();
  });

  it('withdraws, destroys templates and blocks re-enrolment', async () => {
    const enrolled = await facegate('enroll', '--subject', 'w100', '--photo', lfwPhoto('aaron_peirsol', 0), '--photo', lfwPhoto('aaron_peirsol', 2));
    expect(enrolled.stderr).toBe('');
    expect(enrolled.code).toBe(EXIT.ok);

    const receiptFile = path.join(workDir, 'w100-withdrawal.jws');
    const run = await facegate('consent', 'withdraw', '--subject', 'w100', '--witness', 'tech.lei', '--receipt-out', receiptFile);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('2 template(s) destroyed');

    const gallery = Gallery.open({ stateDir, logger: silent });
    expect(gallery.hasSubject('w100')).toBe(false);
    expect(gallery.loadTemplates().templates.filter((template) => template.subjectId === 'w100')).toEqual([]);
    gallery.close();

    const verified = await facegate('consent', 'verify', receiptFile, '--public-key', publicKeyFile);
    expect(verified.code).toBe(EXIT.ok);
    expect(verified.stdout).toContain('Valid withdrawal receipt');
    expect(verified.stdout).toContain('templatesDestroyed: 2');
    expect(receiptFrom(run.stdout)).toBe(fs.readFileSync(receiptFile, 'utf8').trim());

    expect(auditRows().at(-1)).toEqual({ action: 'consent.withdraw', actor_kind: 'technician', object_kind: 'subject', object_id: 'w100' });

    const again = await facegate('enroll', '--subject', 'w100', '--photo', lfwPhoto('aaron_peirsol', 0));
    expect(again.code).toBe(EXIT.failed);
    expect(again.stderr).toContain('no recorded consent');
  });

  it('rejects withdrawing twice', async () => {
    const run = await facegate('consent', 'withdraw', '--subject', 'w100', '--witness', 'tech.lei');
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('has no consent in force to withdraw');
  });

  it('shows the history with steps', async () => {
    const run = await facegate('consent', 'show', 'w100');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/macau-pdpa {2}given .* by cli {2}withdrawn .* \(cli\), 2 template\(s\) destroyed/);
    expect(run.stdout).toContain('form-shown:macau-pdpa-notice');
    expect(run.stdout).toContain('face-recognition-consent');
    expect(run.stdout).toMatch(/witnessed by \S+/);
    expect(run.stdout).toMatch(/form macau-pdpa-notice version \S+ \(zh-Hant\), SHA-256 [0-9a-f]{64}/);
    expect(run.stdout).toMatch(/device \S+ {2}ip /);
  });
});

/** Run the CLI in a child process with `input` on standard input, as a technician piping a secret. */
function facegateWithInput(input: string, ...argv: string[]): { status: number | null; stderr: string } {
  const code = "const { main } = await import('./appliance/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, '--', ...argv, '--state', stateDir, '--log-level', 'silent'], {
    input,
    encoding: 'utf8',
    cwd: path.resolve(import.meta.dirname, '..', '..'),
    timeout: 30_000,
  });
  return { status: child.status, stderr: child.stderr };
}

describe('facegate consent technician and pin', () => {
  it('sets a technician password from stdin', () => {
    const run = facegateWithInput('a long kiosk password\n', 'consent', 'technician', '--user', 'tech.wong');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(EXIT.ok);
    const accounts = TechnicianAccounts.forStateDir(stateDir);
    expect(accounts.signIn('tech.wong', 'a long kiosk password')).toEqual({ ok: true });
    expect(accounts.signIn('tech.wong', 'another password')).toEqual({ ok: false, reason: 'wrong-password' });
  });

  it('sets and rejects PINs from stdin', () => {
    expect(facegateWithInput('7391\n', 'consent', 'pin', '--subject', 'w300').status).toBe(EXIT.ok);
    const credentials = CredentialStore.open({ stateDir, logger: silent });
    expect(credentials.checkPin('w300', '7391')).toBe(true);
    credentials.close();
    const short = facegateWithInput('12\n', 'consent', 'pin', '--subject', 'w300');
    expect(short.status).toBe(EXIT.failed);
    expect(short.stderr).toContain('must be 4 to 12 digits');
  });

  it('assigns a badge', async () => {
    const run = await facegate('consent', 'badge', '--subject', 'w300', '--badge', '12:3456');
    expect(run.code).toBe(EXIT.ok);
    const credentials = CredentialStore.open({ stateDir, logger: silent });
    expect(credentials.subjectForBadge('12:3456')).toBe('w300');
    credentials.close();
  });
});
