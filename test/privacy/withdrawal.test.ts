import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { openConsent } from '../../appliance/consent/open.js';
import { recordConsentForTests } from '../../appliance/consent/testing.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import { encodeTyping } from '../../appliance/fallback/hid.js';
import { execFileSync } from 'node:child_process';
import { loadPrivateKey } from '../../protocol/keys.js';
import { DEVICE_ID, SITE_ID, createGateFixture, type GateFixture, type RunningDaemon } from '../e2e/support/gate-fixture.js';

// A worker withdraws consent while the daemon runs, from the CLI's code path or from the daemon's
// own kiosk: the daemon must drop them from its matcher within 60 s, with no reload by hand.

const WITHDRAWAL_DEADLINE_MS = 60_000;

/** Wait until the daemon logs that it dropped withdrawn workers; returns the time taken. */
async function waitForDrop(run: RunningDaemon, startedAt: number, before: number): Promise<number | undefined> {
  while (performance.now() - startedAt < WITHDRAWAL_DEADLINE_MS) {
    if (run.logs.matching(/withdrawn workers dropped from the matcher/).length > before) return performance.now() - startedAt;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Send a request to the kiosk, trusting the test CA. */
function kioskRequest(port: number, ca: Buffer, method: 'GET' | 'POST', target: string, cookie?: string, form?: Record<string, string>): Promise<{ status: number; body: string; cookie?: string }> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        method,
        ca,
        headers: { ...(cookie === undefined ? {} : { cookie }), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: text, cookie: response.headers['set-cookie']?.[0]?.split(';')[0] }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('withdrawal while the daemon runs', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;
  const worker = ENROLLED[0]!;
  const kioskWorker = ENROLLED[1]!;
  let kioskPort: number;
  let badgeReader: string;

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [worker, kioskWorker] });
    await recordConsentForTests(fixture.stateDir, [worker.subjectId, kioskWorker.subjectId]);
    const credentials = CredentialStore.open({ stateDir: fixture.stateDir, logger: silentLogger() });
    credentials.setPin(kioskWorker.subjectId, '2468');
    credentials.addBadge(kioskWorker.subjectId, '80017');
    credentials.close();
    kioskPort = await freePort();
    // A FIFO stands in for the badge reader's input device, so the test can swipe a badge later.
    badgeReader = path.join(fixture.dir, 'badge-reader');
    execFileSync('mkfifo', [badgeReader]);
    const video = path.join(fixture.dir, 'empty.mp4');
    await buildGateVideo(video, [{ photo: null, seconds: 1 }], { workDir: path.join(fixture.dir, 'stills') });
    run = await fixture.startDaemon(fixture.config({ type: 'file', path: video, loop: true }, {
        consent: { withdrawalCheckS: 1, controller: 'Test Employer Lda.', contact: 'privacy@example.test' },
        // The device's MQTT certificate is for client authentication only, so the kiosk gets a server certificate.
        kiosk: { enabled: true, host: '127.0.0.1', port: kioskPort, certFile: fixture.broker.pki.server.cert, keyFile: fixture.broker.pki.server.key },
        fallback: { badgeDevice: badgeReader },
      }));
  });

  afterAll(async () => {
    await run?.daemon.stop();
    await fixture?.cleanup();
  });

  it('drops the worker from the matcher', async () => {
    const loaded = run.logs.matching(/gallery (loaded into|reloaded into) the matcher/).at(-1);
    expect(loaded?.subjects).toBe(2);

    const opened = openConsent({
      stateDir: fixture.stateDir,
      deviceId: DEVICE_ID,
      siteId: SITE_ID,
      deviceKey: loadPrivateKey(fixture.keys.deviceKeyFile),
      parties: { controller: 'Test Employer Lda.', contact: 'privacy@example.test', retentionDays: 30 },
      logger: silentLogger(),
    });
    const startedAt = performance.now();
    const result = await opened.service.withdraw({ subjectId: worker.subjectId, method: 'kiosk', actor: { kind: 'worker', id: worker.subjectId }, sourceAddress: '127.0.0.1' });
    await opened.close();
    expect(result.templatesDestroyed).toBeGreaterThan(0);

    const dropped = await waitForDrop(run, startedAt, 0);
    expect(dropped, 'the daemon did not drop the worker within 60 s').toBeDefined();
    // One check interval (1 s here) plus the reload; the default interval is 10 s.
    expect(dropped!).toBeLessThan(5_000);
    const reloaded = run.logs.matching(/gallery reloaded into the matcher/).at(-1);
    expect(reloaded?.subjects).toBe(1);
  });

  it('withdraws through the daemon kiosk', async () => {
    const ca = fs.readFileSync(fixture.broker.pki.caFile);
    const page = await kioskRequest(kioskPort, ca, 'GET', '/withdraw?lang=zh-Hant');
    expect(page.status).toBe(200);
    expect(page.body).toContain('撤回同意');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const before = run.logs.matching(/withdrawn workers dropped from the matcher/).length;

    const startedAt = performance.now();
    const done = await kioskRequest(kioskPort, ca, 'POST', '/withdraw', page.cookie, { csrf, lang: 'zh-Hant', subject: kioskWorker.subjectId, pin: '2468' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('您的同意已撤回');

    const dropped = await waitForDrop(run, startedAt, before);
    expect(dropped, 'the daemon did not drop the worker within 60 s').toBeDefined();
    expect(dropped!).toBeLessThan(5_000);
    const reloaded = run.logs.matching(/gallery reloaded into the matcher/).at(-1);
    expect(reloaded?.subjects).toBe(0);
    expect(reloaded?.templates).toBe(0);
  });

  it('lets the withdrawn worker clock in by badge', async () => {
    const before = run.committed.length;
    fs.writeFileSync(badgeReader, encodeTyping('80017'));
    const deadline = performance.now() + 10_000;
    while (run.committed.length === before && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const event = run.committed.at(-1)?.event;
    expect(event?.method).toBe('badge');
    expect(event?.decision).toBe('granted');
    expect(event?.doorActuated).toBe(true);
    expect(event?.subject).toBe(fixture.pseudonyms.get(kioskWorker.subjectId));
    expect(event?.scores).toEqual({});
  });
});
