import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetMonitor } from '../../fleet/monitor.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { envelopeTestKeys } from '../support/events.js';
import { startBroker, type TestBroker } from '../support/mosquitto.js';
import { createTestFleet } from './support/fleet.js';
import { createSimDevice, type SimDevice } from './support/sim-device.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SITE = 'mo-taipa-01';
const fleetKeys = envelopeTestKeys().fleet;
const missing = fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
let broker: TestBroker;
let root: string;
let gate: SimDevice;
let monitor: FleetMonitor;
let browser: Browser;

const today = formatMacauTime(Date.now()).slice(0, 10);
const at = (time: string) => formatMacauTime(Date.parse(`${today}T${time}+08:00`));

describe.skipIf(missing !== undefined)(`dashboard in Chromium${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-dashboard-'));
    fs.chmodSync(root, 0o755);
    broker = await startBroker({ dir: path.join(root, 'broker'), devices: [{ id: 'gate-21', site: SITE }] });
    gate = createSimDevice({ broker, dir: path.join(root, 'devices'), deviceId: 'gate-21', siteId: SITE, fleet: fleetKeys });
    monitor = createTestFleet({ broker, dir: path.join(root, 'fleet'), fleet: fleetKeys, devices: [gate], store: { sqlite: path.join(root, 'fleet.db') }, clientId: 'fleet-ui' });
    [browser] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), monitor.start()]);
    gate.start();
    await gate.clockIn('sub_W100', { wallTime: at('08:02:03'), direction: 'in' });
    await gate.clockIn('sub_W100', { wallTime: at('18:04:05'), direction: 'out' });
    const deadline = Date.now() + 10_000;
    while ((await monitor.fleetStore.counts()).events < 2 || (await monitor.fleetStore.devices())[0]?.state !== 'online') {
      if (Date.now() > deadline) throw new Error('the first events did not reach the fleet store');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gate?.close();
    await monitor?.stop();
    await broker?.cleanup();
    if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
  });

  it('shows devices, feed and payroll in Traditional Chinese', async () => {
    const page = await browser.newPage({ locale: 'zh-MO' });
    await page.goto(`${monitor.dashboardUrl}/`);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.title()).toBe('facegate 裝置群組');
    const device = page.locator('#devices tr[data-device="gate-21"] td');
    expect(await device.nth(2).textContent()).toBe('在線');
    expect(await device.nth(4).textContent()).toBe('0.1.0-test');
    expect(await page.locator('#feed tbody tr').count()).toBe(2);
    const payroll = page.locator('#payroll tr[data-subject="sub_W100"] td');
    expect(await payroll.nth(2).textContent()).toBe(`${today} 08:02:03`);
    expect(await payroll.nth(3).textContent()).toBe(`${today} 18:04:05`);
    expect(await payroll.nth(4).textContent()).toBe('10:02');
    // Set FACEGATE_SCREENSHOT_DIR to keep a picture of the page for a person to look at.
    await page.screenshot({ path: path.join(process.env.FACEGATE_SCREENSHOT_DIR ?? root, 'dashboard-zh-Hant.png'), fullPage: true });
    await page.close();
  });

  it('adds a new event to the live feed', async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(`${monitor.dashboardUrl}/`);
    await page.waitForSelector('body[data-ready="1"]');
    await page.waitForFunction("document.getElementById('status')?.textContent === 'live'");
    expect(await page.locator('h2').first().textContent()).toBe('Devices');
    const row = await gate.clockIn('sub_W200', { direction: 'in' });
    await page.waitForSelector(`#feed tr[data-event="${row.id}"]`, { timeout: 10_000 });
    expect(await page.locator('#feed tbody tr').first().getAttribute('data-event')).toBe(row.id);
    expect(await page.locator(`#feed tr[data-event="${row.id}"] td`).nth(2).textContent()).toBe('sub_W200');
    await page.close();
  });

  it('exports payroll as CSV', async () => {
    const response = await fetch(`${monitor.dashboardUrl}/export/attendance.csv?from=${today}&to=${today}`);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).toBe('date,subject,first_in,last_out,worked_minutes,clock_ins');
    expect(lines).toContain(`${today},sub_W100,${at('08:02:03')},${at('18:04:05')},602,2`);
    const bad = await fetch(`${monitor.dashboardUrl}/api/attendance?from=yesterday`);
    expect(bad.status).toBe(400);
  });
});
