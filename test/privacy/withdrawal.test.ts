import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLED } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { openConsent } from '../../appliance/consent/open.js';
import { recordConsentForTests } from '../../appliance/consent/testing.js';
import { loadPrivateKey } from '../../protocol/keys.js';
import { DEVICE_ID, SITE_ID, createGateFixture, type GateFixture, type RunningDaemon } from '../e2e/support/gate-fixture.js';

// A worker withdraws consent while the daemon runs: the daemon must drop them from its matcher
// within 60 s, with no reload by hand.

const WITHDRAWAL_DEADLINE_MS = 60_000;

describe('withdrawal while the daemon runs', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;
  const worker = ENROLLED[0]!;

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [worker] });
    await recordConsentForTests(fixture.stateDir, [worker.subjectId]);
    const video = path.join(fixture.dir, 'empty.mp4');
    await buildGateVideo(video, [{ photo: null, seconds: 1 }], { workDir: path.join(fixture.dir, 'stills') });
    run = await fixture.startDaemon(fixture.config({ type: 'file', path: video, loop: true }, { consent: { withdrawalCheckS: 1 } }));
  });

  afterAll(async () => {
    await run?.daemon.stop();
    await fixture?.cleanup();
  });

  it('drops the worker from the matcher', async () => {
    const loaded = run.logs.matching(/gallery (loaded into|reloaded into) the matcher/).at(-1);
    expect(loaded?.subjects).toBe(1);

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

    let dropped: number | undefined;
    while (performance.now() - startedAt < WITHDRAWAL_DEADLINE_MS) {
      if (run.logs.matching(/withdrawn workers dropped from the matcher/).length > 0) {
        dropped = performance.now() - startedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(dropped, 'the daemon did not drop the worker within 60 s').toBeDefined();
    // One check interval (1 s here) plus the reload; the default interval is 10 s.
    expect(dropped!).toBeLessThan(5_000);
    const reloaded = run.logs.matching(/gallery reloaded into the matcher/).at(-1);
    expect(reloaded?.subjects).toBe(0);
    expect(reloaded?.templates).toBe(0);
  });
});
