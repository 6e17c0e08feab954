import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuditEntry } from '../../appliance/audit/entry.js';
import { AuditLog } from '../../appliance/audit/log.js';
import { recordingLogger } from '../../appliance/camera/testing.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { CONSENT_PURPOSE } from '../../appliance/consent/forms.js';
import { openConsent, type OpenedConsent } from '../../appliance/consent/open.js';
import { receiptToQr, verifyReceipt } from '../../appliance/consent/receipt.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import { Outbox } from '../../appliance/outbox/outbox.js';
import { generateSigningKeyPair } from '../../protocol/keys.js';
import { createTestPki } from '../../test/support/pki.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { RosterStore } from '../roster/store.js';
import { FLOW_TIMEOUT_MS } from './consent-flow.js';
import { kioskMessages } from './messages.js';
import { qrSvg } from './qr.js';
import { KioskServer } from './server.js';
import { SESSION_IDLE_MS } from './sessions.js';
import { TechnicianAccounts } from './technicians.js';
import { KioskClient } from './test-client.js';

const USER_AGENT = 'kiosk-test/1.0 (phone)';
const PASSWORD = 'correct horse battery';
let dir: string;
let stateDir: string;
let caFile: string;
let port: number;
let clock = Date.now();
let server: KioskServer;
let consent: OpenedConsent;
let credentials: CredentialStore;
let outbox: Outbox;
const audited: AuditEntry[] = [];
const logs = recordingLogger();
const keys = generateSigningKeyPair();

/** A client with this test's user agent and CA. */
class Client extends KioskClient {
  constructor(userAgent = USER_AGENT) {
    super(port, fs.readFileSync(caFile), userAgent);
  }
}

async function signedIn(): Promise<Client> {
  const client = new Client();
  await client.get('/?lang=en');
  const reply = await client.post('/sign-in', { user: 'tech.lei', password: PASSWORD, lang: 'en' });
  expect(reply.status).toBe(303);
  expect(reply.location).toBe('/start?lang=en');
  await client.get('/start?lang=en');
  return client;
}

/** Run the worker's flow up to the choice page; returns the flow path. */
async function startFlow(client: Client, subject: string): Promise<string> {
  const started = await client.post('/start', { subject });
  expect(started.status).toBe(303);
  return started.location!.replace(/\/form\/0\?.*$/, '');
}

beforeAll(async () => {
  dir = makeTempDir('kiosk');
  stateDir = path.join(dir, 'state');
  const pki = await createTestPki({ dir: path.join(dir, 'pki') });
  caFile = pki.caFile;
  const roster = RosterStore.open({ stateDir, logger: silentLogger() });
  roster.importWorkers(
    [
      { workerId: 'w100', displayName: 'Chan Tai Man', domicile: 'macau' },
      { workerId: 'w200', displayName: 'Li Ming', domicile: 'mainland' },
      { workerId: 'w300', displayName: 'Maria Costa', domicile: 'other' },
    ],
    { source: 'roster.csv', now: new Date() },
  );
  const domiciles = new Map(roster.list().map((worker) => [worker.workerId, worker.domicile]));
  roster.close();
  consent = openConsent({
    stateDir,
    deviceId: 'gate-01',
    siteId: 'site-taipa',
    deviceKey: keys.privateKey,
    parties: { controller: 'Obras Exemplo Lda.', contact: 'dpo@example.test', retentionDays: 30 },
    logger: silentLogger(),
  });
  credentials = CredentialStore.open({ stateDir, logger: silentLogger() });
  credentials.setPin('w100', '4821');
  outbox = Outbox.open({ stateDir, deviceId: 'gate-01', logger: silentLogger() });
  const audit = AuditLog.attach({ outbox, siteId: 'site-taipa', logger: silentLogger() });
  audit.onRecorded((entry) => audited.push(entry));
  const accounts = TechnicianAccounts.forStateDir(stateDir, () => clock);
  accounts.setPassword('tech.lei', PASSWORD);
  accounts.setPassword('tech.other', PASSWORD);
  server = new KioskServer({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: fs.readFileSync(pki.server.cert), key: fs.readFileSync(pki.server.key) },
    service: consent.service,
    consents: consent.store,
    domicileOf: (subject) => domiciles.get(subject),
    credentials,
    accounts,
    audit,
    deviceId: 'gate-01',
    defaultLocale: 'zh-Hant',
    logger: logs.logger,
    now: () => clock,
  });
  ({ port } = await server.start());
});

afterAll(async () => {
  await server?.stop();
  credentials?.close();
  await outbox?.close();
  await consent?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('kiosk sign-in', () => {
  it('serves zh-Hant by default', async () => {
    const reply = await new Client().get('/');
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<html lang="zh-Hant">');
    expect(reply.body).toContain('技術人員登入');
    expect(reply.body).toContain('width=device-width');
  });

  it('rejects a post without CSRF token', async () => {
    const client = new Client();
    await client.get('/');
    const reply = await client.request('POST', '/sign-in', { user: 'tech.lei', password: PASSWORD });
    expect(reply.status).toBe(403);
  });

  it('locks after five wrong passwords', async () => {
    const client = new Client();
    await client.get('/?lang=en');
    for (let attempt = 1; attempt <= 4; attempt++) {
      const reply = await client.post('/sign-in', { user: 'tech.other', password: 'wrong password', lang: 'en' });
      expect(reply.status, `attempt ${attempt}`).toBe(401);
      expect(reply.body).toContain('Wrong user name or password.');
    }
    const fifth = await client.post('/sign-in', { user: 'tech.other', password: 'wrong password', lang: 'en' });
    expect(fifth.body).toContain('this account is locked');
    const right = await client.post('/sign-in', { user: 'tech.other', password: PASSWORD, lang: 'en' });
    expect(right.status).toBe(401);
    expect(right.body).toContain('this account is locked');

    const entries = audited.filter((entry) => entry.actor.id === 'tech.other');
    expect(entries.map((entry) => [entry.action, entry.outcome, entry.reason])).toEqual([
      ...Array.from({ length: 5 }, () => ['technician.sign-in', 'failure', 'wrong-password']),
      ['technician.lockout', 'success', 'too-many-failures'],
      ['technician.sign-in', 'denied', 'account-locked'],
    ]);
    expect(entries[5]!.detail).toEqual({ failureLimit: 5, lockedForS: 900 });
    for (const entry of entries) expect(entry.sourceAddress).toBe('127.0.0.1');
  });

  it('expires an idle session', async () => {
    const client = await signedIn();
    clock += SESSION_IDLE_MS + 1;
    const reply = await client.get('/start?lang=en');
    expect(reply.body).toContain('Please sign in first.');
  });
});

describe('kiosk sign-in audit', () => {
  it('records sign-in and sign-out', async () => {
    const before = audited.length;
    const client = await signedIn();
    const out = await client.post('/sign-out', { lang: 'en' });
    expect(out.status).toBe(200);
    expect(out.body).toContain('You are signed out.');
    expect((await client.get('/start?lang=en')).body).toContain('Please sign in first.');
    const entries = audited.slice(before);
    expect(entries.map((entry) => [entry.action, entry.outcome, entry.reason])).toEqual([
      ['technician.sign-in', 'success', null],
      ['technician.sign-out', 'success', 'signed-out'],
    ]);
    for (const entry of entries) {
      expect(entry.actor).toEqual({ kind: 'technician', id: 'tech.lei' });
      expect(entry.sourceAddress).toBe('127.0.0.1');
    }
  });

  it('records an idle sign-out', async () => {
    await signedIn();
    const before = audited.length;
    clock += SESSION_IDLE_MS + 1;
    server.sweep();
    expect(audited.slice(before).map((entry) => [entry.action, entry.actor.id, entry.reason, entry.sourceAddress])).toEqual([
      ['technician.sign-out', 'tech.lei', 'idle-timeout', null],
    ]);
  });

  it('never records a password', async () => {
    const before = audited.length;
    const client = new Client();
    await client.get('/?lang=en');
    // A password typed into the user name field is the case to guard against.
    const typo = 'Secret-typed-as-name';
    await client.post('/sign-in', { user: typo, password: 'another secret text', lang: 'en' });
    await client.post('/sign-in', { user: 'tech.lei', password: 'a wrong password text', lang: 'en' });
    const entries = audited.slice(before);
    expect(entries.map((entry) => [entry.actor.id, entry.outcome, entry.reason])).toEqual([
      [null, 'failure', 'unknown-user'],
      ['tech.lei', 'failure', 'wrong-password'],
    ]);

    const secrets = [typo, 'another secret text', 'a wrong password text', PASSWORD, 'wrong password'];
    const stored = ['outbox.db', 'outbox.db-wal']
      .map((name) => path.join(stateDir, name))
      .filter((file) => fs.existsSync(file))
      .map((file) => fs.readFileSync(file).toString('latin1'));
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const bytes of stored) expect(bytes.includes(secret), `"${secret}" in the outbox database`).toBe(false);
      expect(logs.raw.some((line) => line.includes(secret)), `"${secret}" in the log`).toBe(false);
    }
  });
});

describe('kiosk consent flow', () => {
  it('records a zh-Hant consent with its steps', async () => {
    const client = await signedIn();
    const flow = await startFlow(client, 'w100');
    const form = await client.get(`${flow}/form/0?lang=zh-Hant`);
    expect(form.body).toContain('澳門《個人資料保護法》第 8/2005 號法律');
    expect(form.body).toContain('Obras Exemplo Lda.');
    expect((await client.post(`${flow}/form/0`, { lang: 'zh-Hant' })).location).toBe(`${flow}/choice?lang=zh-Hant`);

    const choice = await client.get(`${flow}/choice?lang=zh-Hant`);
    expect(choice.body).toContain('type="checkbox" name="face-recognition" value="yes">');
    expect(choice.body).not.toContain('checked');
    expect((await client.post(`${flow}/choice`, { lang: 'zh-Hant', 'face-recognition': 'yes' })).location).toBe(`${flow}/confirm?lang=zh-Hant`);

    await client.get(`${flow}/confirm?lang=zh-Hant`);
    const wrong = await client.post(`${flow}/confirm`, { lang: 'zh-Hant', subject: 'w200' });
    expect(wrong.status).toBe(400);
    const receipt = await client.post(`${flow}/confirm`, { lang: 'zh-Hant', subject: 'w100' });
    expect(receipt.status).toBe(200);
    expect(receipt.body).toContain('您的同意收據');
    const jws = /<code class="receipt" id="receipt">([^<]+)<\/code>/.exec(receipt.body)![1]!;
    const verified = await verifyReceipt(jws, keys.publicKey);
    expect(verified.payload).toMatchObject({ kind: 'consent', subject: 'w100', method: 'kiosk', witness: 'tech.lei', law: 'macau-pdpa' });

    // The QR code on the page carries the receipt's QR form, which verify accepts as it is.
    const qrText = /data-qr="([^"]+)"/.exec(receipt.body)![1]!;
    expect(qrText).toBe(receiptToQr(jws));
    expect(receipt.body).toContain(qrSvg(qrText, kioskMessages.translate('zh-Hant', 'receipt.qr')));
    expect((await verifyReceipt(qrText, keys.publicKey)).payload).toEqual(verified.payload);
    expect(receipt.body).toContain('@media print');

    const printable = await client.get(`/receipt/${verified.payload.consentId}?lang=en`);
    expect(printable.status).toBe(200);
    expect(printable.body).toContain(`data-qr="${qrText}"`);
    expect((await new Client().get(`/receipt/${verified.payload.consentId}?lang=en`)).status).toBe(404);

    const record = consent.store.active('w100', CONSENT_PURPOSE)!;
    expect(record.steps.map((step) => step.step)).toEqual(['form-shown:macau-pdpa-notice', 'face-recognition-consent', 'confirm-worker-id']);
    for (const step of record.steps) {
      expect(step.ip).toBe('127.0.0.1');
      expect(step.userAgent).toBe(USER_AGENT);
      expect(step.deviceId).toBe('gate-01');
      expect(step.locale).toBe('zh-Hant');
    }
  });

  it('shows both forms in zh-Hans', async () => {
    const client = await signedIn();
    const flow = await startFlow(client, 'w200');
    expect((await client.get(`${flow}/form/0?lang=zh-Hans`)).body).toContain('澳门《个人资料保护法》');
    expect((await client.post(`${flow}/form/0`, { lang: 'zh-Hans' })).location).toBe(`${flow}/form/1?lang=zh-Hans`);
    expect((await client.get(`${flow}/form/1?lang=zh-Hans`)).body).toContain('人脸识别单独同意书');
    expect((await client.post(`${flow}/form/1`, { lang: 'zh-Hans' })).location).toBe(`${flow}/choice?lang=zh-Hans`);
  });

  it('records nothing when declined', async () => {
    const client = await signedIn();
    const flow = await startFlow(client, 'w200');
    await client.get(`${flow}/form/0?lang=en`);
    await client.post(`${flow}/form/0`, { lang: 'en' });
    await client.post(`${flow}/form/1`, { lang: 'en' });
    await client.get(`${flow}/choice?lang=en`);
    const declined = await client.post(`${flow}/choice`, { lang: 'en' });
    expect(declined.body).toContain('No consent was recorded. You can clock in with a PIN or badge.');
    expect(consent.store.history('w200')).toEqual([]);
    expect((await client.get(`${flow}/confirm?lang=en`)).status).toBe(404);
  });

  it('rejects a flow of another session', async () => {
    const owner = await signedIn();
    const flow = await startFlow(owner, 'w200');
    const other = await signedIn();
    expect((await other.get(`${flow}/form/0?lang=en`)).status).toBe(404);
  });
});

describe('kiosk phone hand-off', () => {
  /** Start a flow for w200 and show its QR code; returns the flow path and the phone link. */
  async function handOff(technician: Client): Promise<{ flow: string; link: string }> {
    const flow = await startFlow(technician, 'w200');
    // Shown in the worker's language, as the phone will show it.
    const first = await technician.get(`${flow}/form/0`);
    expect(first.body).toContain('显示供员工手机扫描的二维码');
    const issued = await technician.post(`${flow}/handoff`, { lang: 'en' });
    expect(issued.status).toBe(303);
    const page = await technician.get(issued.location!);
    expect(page.body).toContain('<svg role="img"');
    const link = /data-link="([^"]+)"/.exec(page.body)![1]!;
    expect(link).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/phone/[A-Za-z0-9_-]{43}$`));
    return { flow, link };
  }

  it('moves the flow to the phone once', async () => {
    const technician = await signedIn();
    const { flow, link } = await handOff(technician);
    const status = async (): Promise<{ state: string }> => JSON.parse((await technician.get(`${flow}/status?lang=en`)).body) as { state: string };
    expect((await status()).state).toBe('waiting');

    const phone = new Client('phone-browser/2.0 (390x844)');
    const opened = await phone.get(new URL(link).pathname);
    expect(opened.status).toBe(200);
    expect(opened.body).toContain('<html lang="zh-Hans">');
    expect(opened.body).toContain('澳门《个人资料保护法》');
    expect(opened.body).not.toContain('/phone/');
    expect((await status()).state).toBe('in-progress');

    // The link works once, and the technician's screen can no longer submit steps for the worker.
    expect((await new Client('someone-else').get(new URL(link).pathname)).status).toBe(410);
    expect((await technician.get(`${flow}/form/0?lang=en`)).status).toBe(404);

    await phone.post(`${flow}/form/0`, { lang: 'zh-Hans' });
    await phone.get(`${flow}/form/1?lang=zh-Hans`);
    await phone.post(`${flow}/form/1`, { lang: 'zh-Hans' });
    const progress = JSON.parse((await technician.get(`${flow}/status?lang=en`)).body) as { text: Record<string, string> };
    expect(progress.text['handoff-status']).toBe('The worker is answering on the phone: 2 of 4 steps done.');
    await phone.get(`${flow}/choice?lang=zh-Hans`);
    await phone.post(`${flow}/choice`, { lang: 'zh-Hans', 'face-recognition': 'yes' });
    await phone.get(`${flow}/confirm?lang=zh-Hans`);
    const receipt = await phone.post(`${flow}/confirm`, { lang: 'zh-Hans', subject: 'w200' });
    expect(receipt.status).toBe(200);
    expect(receipt.body).toContain('您的同意收据');
    expect(receipt.body).toContain('data-qr="FGR1:');

    expect((await status()).state).toBe('granted');
    const record = consent.store.active('w200', CONSENT_PURPOSE)!;
    expect(record.witness).toBe('tech.lei');
    expect(record.steps.map((step) => step.userAgent)).toEqual(Array.from({ length: 4 }, () => 'phone-browser/2.0 (390x844)'));
    expect(record.steps.every((step) => step.ip === '127.0.0.1' && step.locale === 'zh-Hans')).toBe(true);
    const followed = await technician.get(`${flow}/handoff?lang=en`);
    expect(followed.body).toContain(`Consent ${record.id} was recorded on the worker&#39;s phone.`);
    expect(followed.body).toContain(`/receipt/${record.id}`);
  });

  it('expires the link with its flow', async () => {
    const technician = await signedIn();
    await technician.get('/start?lang=en');
    const flow = await startFlow(technician, 'w300');
    await technician.get(`${flow}/form/0?lang=en`);
    const issued = await technician.post(`${flow}/handoff`, { lang: 'en' });
    const link = /data-link="([^"]+)"/.exec((await technician.get(issued.location!)).body)![1]!;
    clock += FLOW_TIMEOUT_MS + 1;
    const late = await new Client('late-phone').get(new URL(link).pathname);
    expect(late.status).toBe(410);
    expect(late.body).toContain('此連結無效');
  });

  it('rejects an unknown link', async () => {
    const reply = await new Client().get(`/phone/${'A'.repeat(43)}?lang=en`);
    expect(reply.status).toBe(410);
    expect(reply.body).toContain('This link is not valid');
  });
});

describe('kiosk withdrawal', () => {
  it('rejects a wrong PIN', async () => {
    const client = new Client();
    await client.get('/withdraw?lang=en');
    const reply = await client.post('/withdraw', { lang: 'en', subject: 'w100', pin: '0000' });
    expect(reply.status).toBe(400);
    expect(consent.store.active('w100', CONSENT_PURPOSE)).toBeDefined();
  });

  it('withdraws with worker id and PIN', async () => {
    const client = new Client();
    await client.get('/withdraw?lang=pt');
    const reply = await client.post('/withdraw', { lang: 'pt', subject: 'w100', pin: '4821' });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('O consentimento foi retirado');
    const jws = /<code class="receipt" id="receipt">([^<]+)<\/code>/.exec(reply.body)![1]!;
    expect((await verifyReceipt(jws, keys.publicKey)).payload).toMatchObject({ kind: 'withdrawal', subject: 'w100', method: 'kiosk' });
    expect(consent.store.active('w100', CONSENT_PURPOSE)).toBeUndefined();
  });
});
