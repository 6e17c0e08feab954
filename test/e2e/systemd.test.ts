import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { UnixDgramSocket } from 'unix-dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../appliance/daemon/daemon.js';
import { captureLogs } from '../support/logs.js';
import { sleep, waitUntil } from '../support/wait.js';
import { createGateFixture, type GateFixture } from './support/gate-fixture.js';

// The daemon against a stand-in for systemd's notify socket: READY=1 comes only once the worker is
// warm and the camera has delivered a frame, and WATCHDOG=1 comes from the main loop regardless.

const unixDgram = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');

describe('daemon under a systemd notify socket', () => {
  let fixture: GateFixture;
  let socketPath: string;
  let server: UnixDgramSocket;
  const received: string[] = [];

  beforeAll(async () => {
    fixture = await createGateFixture();
    socketPath = path.join(fixture.dir, 'notify');
    server = unixDgram.createSocket('unix_dgram', (message) => received.push(message.toString()));
    server.bind(socketPath);
  });

  afterAll(async () => {
    server?.close();
    await fixture?.cleanup();
  });

  async function start(camera: Parameters<GateFixture['config']>[0]): Promise<Daemon> {
    received.length = 0;
    return Daemon.start({
      config: fixture.config(camera),
      logger: captureLogs('warn').logger,
      // WatchdogSec=0.4 s: pings every 200 ms.
      env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid) },
      clockSync: { timedatectl: path.join(fixture.dir, 'none'), syncedFile: path.join(fixture.dir, 'none') },
      flushTimeoutMs: 1_000,
    });
  }

  it('sends READY after the first frame', async () => {
    const scene = path.join(fixture.dir, 'scene');
    fs.mkdirSync(scene, { recursive: true });
    await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toFile(path.join(scene, '1.jpg'));
    const daemon = await start({ type: 'folder', path: scene, loop: true, fps: 5 });
    await waitUntil(() => received.some((message) => message.startsWith('READY=1')), 10_000, 'READY=1');
    await waitUntil(() => received.filter((message) => message === 'WATCHDOG=1').length >= 2, 5_000, 'two watchdog pings');
    await daemon.stop();

    const ready = received.findIndex((message) => message.startsWith('READY=1'));
    const lastStep = received.indexOf('STATUS=starting: health and watchdog');
    expect(lastStep).toBeGreaterThanOrEqual(0);
    expect(ready).toBeGreaterThan(lastStep);
    expect(received.filter((message) => message.startsWith('READY=1'))).toHaveLength(1);
    expect(received.at(-1)).toMatch(/^STOPPING=1/);
  });

  it('withholds READY while the camera delivers nothing', async () => {
    const daemon = await start({ type: 'file', path: path.join(fixture.dir, 'missing.mp4') });
    await sleep(1_500);
    await daemon.stop();

    expect(received).toContain('STATUS=starting: vision worker (warm-up)');
    expect(received.filter((message) => message === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(3);
    expect(received.some((message) => message.startsWith('READY=1'))).toBe(false);
    expect(daemon.isReady).toBe(false);
  });
});
