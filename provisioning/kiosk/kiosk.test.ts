import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../../appliance/common/logger.js';
import { CONSENT_PURPOSE } from '../../appliance/consent/forms.js';
import { openConsent, type OpenedConsent } from '../../appliance/consent/open.js';
import { verifyReceipt } from '../../appliance/consent/receipt.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import { generateSigningKeyPair } from '../../protocol/keys.js';
import { createTestPki } from '../../test/support/pki.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { RosterStore } from '../roster/store.js';
import { KioskServer } from './server.js';
import { SESSION_IDLE_MS } from './sessions.js';
import { TechnicianAccounts } from './technicians.js';

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
const keys = generateSigningKeyPair();

interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

/** A browser stand-in: keeps the session cookie and the last CSRF token it saw. */
class Client {
  cookie: string | undefined;
  csrf = '';

  request(method: 'GET' | 'POST', target: string, fields: Record<string, string> = {}): Promise<Reply> {
    const body = method === 'POST' ? new URLSearchParams(fields).toString() : undefined;
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port,
          path: target,
          method,
          ca: fs.readFileSync(caFile),
          headers: {
            'user-agent': USER_AGENT,
            ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
            ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const setCookie = response.headers['set-cookie']?.[0];
            if (setCookie !== undefined) this.cookie = setCookie.split(';')[0];
            const text = Buffer.concat(chunks).toString('utf8');
            const token = /name="csrf" value="([^"]+)"/.exec(text);
            if (token !== null) this.csrf = token[1]!;
            resolve({ status: response.statusCode!, location: response.headers.location, body: text });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  get(target: string): Promise<Reply> {
    return this.request('GET', target);
  }

  post(target: string, fields: Record<string, string>): Promise<Reply> {
    return this.request('POST', target, { csrf: this.csrf, ...fields });
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
  const accounts = TechnicianAccounts.forStateDir(stateDir, () => clock);
  accounts.setPassword('tech.lei', PASSWORD);
  accounts.setPassword('tech.other', PASSWORD);
  server = new KioskServer({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: fs.readFileSync(pki.server.cert), key: fs.readFileSync(pki.server.key) },
    service: consent.service,
    domicileOf: (subject) => domiciles.get(subject),
    credentials,
    accounts,
    deviceId: 'gate-01',
    defaultLocale: 'zh-Hant',
    logger: silentLogger(),
    now: () => clock,
  });
  ({ port } = await server.start());
});

afterAll(async () => {
  await server?.stop();
  credentials?.close();
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
  });

  it('expires an idle session', async () => {
    const client = await signedIn();
    clock += SESSION_IDLE_MS + 1;
    const reply = await client.get('/start?lang=en');
    expect(reply.body).toContain('Please sign in first.');
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
