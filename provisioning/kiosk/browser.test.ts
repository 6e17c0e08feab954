import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuditLog } from '../../appliance/audit/log.js';
import type { FfmpegCameraSource } from '../../appliance/camera/ffmpeg.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { CONSENT_PURPOSE } from '../../appliance/consent/forms.js';
import { openConsent, type OpenedConsent } from '../../appliance/consent/open.js';
import { verifyReceipt } from '../../appliance/consent/receipt.js';
import { EnrolmentDesk } from '../../appliance/enrolment/desk.js';
import { GateHold } from '../../appliance/enrolment/gate-hold.js';
import { faceScene, folderCamera, lfw, writeScenes } from '../../appliance/enrolment/testing.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import { defaultCalibrationPath, loadCalibration } from '../../appliance/gallery/calibration.js';
import { Matcher } from '../../appliance/gallery/matcher.js';
import { Outbox } from '../../appliance/outbox/outbox.js';
import { DEFAULT_LIVENESS_THRESHOLD, DEFAULT_TARGET_FPIR } from '../../appliance/recognition/recognizer.js';
import { VisionWorker } from '../../appliance/vision/client.js';
import { generateSigningKeyPair } from '../../protocol/keys.js';
import { createTestPki } from '../../test/support/pki.js';
import { RosterStore } from '../roster/store.js';
import { KioskServer } from './server.js';
import { TechnicianAccounts } from './technicians.js';

// The kiosk flows in headless Chromium on a phone-sized screen, with face capture from a folder
// camera that shows photos of the shared test set. Set FACEGATE_SCREENSHOT_DIR to keep the
// screenshots; otherwise they go to the test's temporary folder.

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const missing = fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };
const TABLET = { width: 820, height: 1180 };
/** The worker enrolled first; a photo of this person passes the quality gate and liveness on a 640x480 scene. */
const FACE = lfw('al_sharpton');

let root: string;
let server: KioskServer;
let consent: OpenedConsent;
let credentials: CredentialStore;
let browser: Browser;
let base: string;
let keys: ReturnType<typeof generateSigningKeyPair>;
let outbox: Outbox;
let worker: VisionWorker;
let camera: FfmpegCameraSource;
let scenes: string;
let desk: EnrolmentDesk;

async function phonePage(userAgent = 'kiosk-browser-test', viewport = PHONE): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, userAgent });
  return context.newPage();
}

/** Show another scene: the folder camera lists its folder again when it restarts. */
async function showScene(scene: Buffer): Promise<void> {
  await camera.stop();
  writeScenes(scenes, [scene]);
  await camera.start();
}

async function pageWidth(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth') as Promise<number>;
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
    keys = generateSigningKeyPair();
    consent = openConsent({
      stateDir,
      deviceId: 'gate-01',
      siteId: 'site-taipa',
      deviceKey: keys.privateKey,
      parties: { controller: '澳門示例建築有限公司', contact: 'dpo@example.test', retentionDays: 30 },
      logger: silentLogger(),
    });
    credentials = CredentialStore.open({ stateDir, logger: silentLogger() });
    credentials.setPin('w100', '4821');
    TechnicianAccounts.forStateDir(stateDir).setPassword('tech.lei', PASSWORD);
    outbox = Outbox.open({ stateDir, deviceId: 'gate-01', logger: silentLogger() });
    const audit = AuditLog.attach({ outbox, siteId: 'site-taipa', logger: silentLogger() });
    worker = new VisionWorker({}, silentLogger());
    await worker.start();
    scenes = path.join(root, 'scenes');
    writeScenes(scenes, [await faceScene(FACE, { darken: 0.3 })]);
    camera = folderCamera(scenes, silentLogger());
    await camera.start();
    const calibration = loadCalibration(defaultCalibrationPath(), { modelVersion: worker.versions.fr_feature });
    const load = (): Matcher => Matcher.fromTemplates(consent.gallery.loadTemplates({ modelVersion: worker.versions.fr_feature }).templates);
    let matcher = load();
    desk = new EnrolmentDesk({
      camera,
      analyser: worker,
      gallery: consent.gallery,
      consents: consent.store,
      matcher: () => matcher,
      threshold: () => calibration.thresholdFor(Math.max(1, matcher.size), DEFAULT_TARGET_FPIR).threshold,
      featureModel: worker.versions.fr_feature!,
      reload: () => {
        matcher = load();
      },
      hold: new GateHold({ logger: silentLogger() }),
      audit,
      capture: {
        framesRequired: 5,
        minSpanMs: 1_000,
        timeoutMs: 30_000,
        livenessThreshold: DEFAULT_LIVENESS_THRESHOLD,
        sameFaceThreshold: calibration.thresholdFor(1, DEFAULT_TARGET_FPIR).threshold,
      },
      logger: silentLogger(),
    });
    server = new KioskServer({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: fs.readFileSync(pki.server.cert), key: fs.readFileSync(pki.server.key) },
      service: consent.service,
      consents: consent.store,
      domicileOf: (subject) => domiciles.get(subject),
      credentials,
      accounts: TechnicianAccounts.forStateDir(stateDir),
      audit,
      enrolment: desk,
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
    await desk?.stop();
    await camera?.stop();
    await worker?.stop();
    await outbox?.close();
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
    const qrText = await page.locator('figure.qr').getAttribute('data-qr');
    expect((await verifyReceipt(qrText!, keys.publicKey)).payload).toMatchObject({ subject: 'w100', consentId: record.id });
    expect(await page.locator('figure.qr svg').isVisible()).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('form').first().isVisible()).toBe(false);
    await screenshot(page, 'receipt-print-zh-Hant');
    await page.emulateMedia({ media: 'screen' });

    // The technician starts the capture from the receipt page; the camera shows the worker in a dark room.
    await Promise.all([page.waitForURL(/\/enrol\//), page.click('text=開始拍攝人臉')]);
    await page.locator('#guidance').filter({ hasText: '光線太暗，請開燈或面向光源。' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('h1').textContent()).toBe('為 w100 拍攝人臉');
    expect(await page.locator('img, video, canvas').count()).toBe(0);
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'capture-too-dark-zh-Hant');

    await showScene(await faceScene(FACE));
    await page.waitForSelector('#outcome', { timeout: 20_000 });
    expect(await page.locator('#outcome').textContent()).toBe('員工 w100 已登記。閘機從現在起可辨認此員工。');
    expect(consent.gallery.listSubjects().find((subject) => subject.id === 'w100')?.templates).toBe(1);
    await screenshot(page, 'enrolled-zh-Hant');
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

  it('hands the consent to a phone in zh-Hans and warns of a duplicate', async () => {
    const technician = await phonePage('technician-tablet', TABLET);
    await signIn(technician, 'zh-Hans');
    await technician.fill('input[name=subject]', 'w200');
    await Promise.all([technician.waitForURL(/\/form\/0/), technician.click('button[type=submit]')]);
    await Promise.all([technician.waitForURL(/\/handoff/), technician.click('text=显示供员工手机扫描的二维码')]);
    const link = await technician.locator('.qr[data-link]').getAttribute('data-link');
    expect(await technician.locator('.qr svg').isVisible()).toBe(true);
    await screenshot(technician, 'handoff-qr-zh-Hans');

    const phone = await phonePage('worker-phone');
    await phone.goto(link!);
    expect(await phone.locator('pre.form').textContent()).toContain('澳门《个人资料保护法》');
    expect(await phone.locator('html').getAttribute('lang')).toBe('zh-Hans');
    expect(await pageWidth(phone)).toBeLessThanOrEqual(PHONE.width);
    await technician.waitForSelector('text=员工正在手机上回答', { timeout: 5_000 });
    await Promise.all([phone.waitForURL(/\/form\/1/), phone.click('button[type=submit]')]);
    expect(await phone.locator('pre.form').textContent()).toContain('人脸识别单独同意书');
    await screenshot(phone, 'phone-pipl-zh-Hans');
    await Promise.all([phone.waitForURL(/\/choice/), phone.click('button[type=submit]')]);
    await phone.locator('input[name=face-recognition]').check();
    await Promise.all([phone.waitForURL(/\/confirm/), phone.click('button[type=submit]')]);
    await phone.fill('input[name=subject]', 'w200');
    await phone.click('button[type=submit]');
    await phone.waitForSelector('#receipt');
    expect(await phone.locator('h1').textContent()).toBe('您的同意收据');
    expect(await pageWidth(phone)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(phone, 'phone-receipt-zh-Hans');
    const record = consent.store.active('w200', CONSENT_PURPOSE)!;
    expect(record.steps.map((step) => step.userAgent)).toEqual(['worker-phone', 'worker-phone', 'worker-phone', 'worker-phone']);
    expect(record.witness).toBe('tech.lei');

    // The technician's page follows the flow and offers the capture; the camera still shows w100.
    await technician.waitForSelector('text=已在员工的手机上记录同意', { timeout: 5_000 });
    await Promise.all([technician.waitForURL(/\/enrol\//), technician.click('text=开始拍摄人脸')]);
    await technician.waitForSelector('#duplicate', { timeout: 20_000 });
    expect(await technician.locator('#duplicate').getAttribute('data-other')).toBe('w100');
    expect(await technician.locator('#duplicate').textContent()).toContain('新模板与员工 w100 相符');
    await screenshot(technician, 'duplicate-zh-Hans');
    await Promise.all([technician.waitForURL(/\/enrol\//), technician.click('text=取消登记')]);
    expect(await technician.locator('#outcome').textContent()).toBe('w200 的登记已取消，没有保存任何资料。');
    expect(consent.gallery.hasSubject('w200')).toBe(false);
    await phone.context().close();
    await technician.context().close();
  });

  it('withdraws with worker id and PIN', async () => {
    const page = await phonePage();
    await page.goto(`${base}/withdraw?lang=zh-Hant`);
    await page.fill('input[name=subject]', 'w100');
    await page.fill('input[name=pin]', '4821');
    await page.click('button[type=submit]');
    await page.waitForSelector('#receipt');
    expect(await page.locator('body').textContent()).toContain('您的同意已撤回，已銷毀 1 個範本');
    expect(consent.gallery.hasSubject('w100')).toBe(false);
    await screenshot(page, 'withdrawn-zh-Hant');
    expect(consent.store.active('w100', CONSENT_PURPOSE)).toBeUndefined();
    await page.context().close();
  });
});
