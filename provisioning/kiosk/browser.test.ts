import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../../appliance/common/logger.js';
import { CONSENT_PURPOSE } from '../../appliance/consent/forms.js';
import { openConsent, type OpenedConsent } from '../../appliance/consent/open.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import { generateSigningKeyPair } from '../../protocol/keys.js';
import { createTestPki } from '../../test/support/pki.js';
import { RosterStore } from '../roster/store.js';
import { KioskServer } from './server.js';
import { TechnicianAccounts } from './technicians.js';

// The kiosk flows in headless Chromium on a phone-sized screen. Set FACEGATE_SCREENSHOT_DIR to keep
// the screenshots; otherwise they go to the test's temporary folder.

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const missing = fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };

let root: string;
let server: KioskServer;
let consent: OpenedConsent;
let credentials: CredentialStore;
let browser: Browser;
let base: string;

async function phonePage(): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: PHONE, userAgent: 'kiosk-browser-test' });
  return context.newPage();
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(process.env.FACEGATE_SCREENSHOT_DIR ?? root, `kiosk-${name}.png`), fullPage: true });
}

async function signIn(page: Page, lang: string): Promise<void> {
  await page.goto(`${base}/?lang=${lang}`);
  await page.fill('input[name=user]', 'tech.lei');
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(/\/start/), page.click('button[type=submit]')]);
}

describe.skipIf(missing !== undefined)(`kiosk in Chromium${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-kiosk-browser-'));
    const stateDir = path.join(root, 'state');
    const pki = await createTestPki({ dir: path.join(root, 'pki') });
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
      deviceKey: generateSigningKeyPair().privateKey,
      parties: { controller: '澳門示例建築有限公司', contact: 'dpo@example.test', retentionDays: 30 },
      logger: silentLogger(),
    });
    credentials = CredentialStore.open({ stateDir, logger: silentLogger() });
    credentials.setPin('w100', '4821');
    TechnicianAccounts.forStateDir(stateDir).setPassword('tech.lei', PASSWORD);
    server = new KioskServer({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: fs.readFileSync(pki.server.cert), key: fs.readFileSync(pki.server.key) },
      service: consent.service,
      domicileOf: (subject) => domiciles.get(subject),
      credentials,
      accounts: TechnicianAccounts.forStateDir(stateDir),
      deviceId: 'gate-01',
      defaultLocale: 'zh-Hant',
      logger: silentLogger(),
    });
    const { port } = await server.start();
    base = `https://127.0.0.1:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    credentials?.close();
    await consent?.close();
    if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
  });

  it('records consent in zh-Hant', async () => {
    const page = await phonePage();
    await signIn(page, 'zh-Hant');
    await page.fill('input[name=subject]', 'w100');
    await Promise.all([page.waitForURL(/\/form\/0/), page.click('button[type=submit]')]);
    expect(await page.locator('pre.form').textContent()).toContain('澳門《個人資料保護法》');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'notice-zh-Hant');

    await Promise.all([page.waitForURL(/\/choice/), page.click('button[type=submit]')]);
    const box = page.locator('input[name=face-recognition]');
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await Promise.all([page.waitForURL(/\/confirm/), page.click('button[type=submit]')]);
    await page.fill('input[name=subject]', 'w100');
    await page.click('button[type=submit]');
    await page.waitForSelector('#receipt');
    expect(await page.locator('h1').textContent()).toBe('您的同意收據');
    await screenshot(page, 'receipt-zh-Hant');

    const record = consent.store.active('w100', CONSENT_PURPOSE)!;
    expect(record.steps.map((step) => step.userAgent)).toEqual(['kiosk-browser-test', 'kiosk-browser-test', 'kiosk-browser-test']);
    expect(await page.locator('#receipt').textContent()).toBe(record.receipt);
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await page.context().close();
  });

  it('shows both forms in zh-Hans', async () => {
    const page = await phonePage();
    await signIn(page, 'zh-Hans');
    await page.fill('input[name=subject]', 'w200');
    await Promise.all([page.waitForURL(/\/form\/0\?lang=zh-Hans/), page.click('button[type=submit]')]);
    expect(await page.locator('pre.form').textContent()).toContain('澳门《个人资料保护法》');
    await Promise.all([page.waitForURL(/\/form\/1/), page.click('button[type=submit]')]);
    expect(await page.locator('pre.form').textContent()).toContain('人脸识别单独同意书');
    await screenshot(page, 'pipl-zh-Hans');
    await Promise.all([page.waitForURL(/\/choice/), page.click('button[type=submit]')]);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=没有记录同意');
    expect(consent.store.history('w200')).toEqual([]);
    await page.context().close();
  });

  it('withdraws with worker id and PIN', async () => {
    const page = await phonePage();
    await page.goto(`${base}/withdraw?lang=zh-Hant`);
    await page.fill('input[name=subject]', 'w100');
    await page.fill('input[name=pin]', '4821');
    await page.click('button[type=submit]');
    await page.waitForSelector('#receipt');
    expect(await page.locator('body').textContent()).toContain('您的同意已撤回');
    await screenshot(page, 'withdrawn-zh-Hant');
    expect(consent.store.active('w100', CONSENT_PURPOSE)).toBeUndefined();
    await page.context().close();
  });
});
