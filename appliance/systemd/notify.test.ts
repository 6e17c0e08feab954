import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import { SystemdNotifier, WatchdogPinger, parseNotifySocket, watchdogPeriodUs } from './notify.js';
import type { UnixDgramSocket } from 'unix-dgram';

const unixDgram = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');

let dir: string;
let socketPath: string;
let server: UnixDgramSocket | undefined;
const received: string[] = [];

function bindFakeNotifySocket(): void {
  server = unixDgram.createSocket('unix_dgram', (message) => received.push(message.toString()));
  server.bind(socketPath);
}

async function settle(ms = 30): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'facegate-notify-'));
  socketPath = path.join(dir, 'notify');
  received.length = 0;
});

afterEach(() => {
  server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('parseNotifySocket', () => {
  it('tells paths from abstract names', () => {
    expect(parseNotifySocket('/run/systemd/notify')).toEqual({ kind: 'path', path: '/run/systemd/notify' });
    expect(parseNotifySocket('@/org/freedesktop/systemd1/notify')).toEqual({ kind: 'abstract', name: '/org/freedesktop/systemd1/notify' });
    expect(parseNotifySocket('vsock:2:1234')).toEqual({ kind: 'other', value: 'vsock:2:1234' });
    expect(parseNotifySocket(undefined)).toBeUndefined();
    expect(parseNotifySocket('')).toBeUndefined();
  });
});

describe('SystemdNotifier', () => {
  it('sends the exact sd_notify datagrams', async () => {
    bindFakeNotifySocket();
    const notifier = new SystemdNotifier({ logger: silentLogger(), env: { NOTIFY_SOCKET: socketPath } });
    expect(notifier.enabled).toBe(true);
    expect(notifier.ready('Running: camera 15 fps')).toBe(true);
    notifier.status('Outbox 3 events\nqueued');
    notifier.watchdog();
    notifier.extendTimeout(20_000);
    notifier.stopping('Flushing outbox');
    await settle();
    notifier.close();

    expect(received).toEqual([
      'READY=1\nSTATUS=Running: camera 15 fps',
      'STATUS=Outbox 3 events queued',
      'WATCHDOG=1',
      'EXTEND_TIMEOUT_USEC=20000000',
      'STOPPING=1\nSTATUS=Flushing outbox',
    ]);
  });

  it('does nothing without NOTIFY_SOCKET', () => {
    const notifier = new SystemdNotifier({ logger: silentLogger(), env: {} });
    expect(notifier.enabled).toBe(false);
    expect(notifier.ready()).toBe(false);
  });

  it('reports a send to a missing socket without throwing', () => {
    const notifier = new SystemdNotifier({ logger: silentLogger(), env: { NOTIFY_SOCKET: path.join(dir, 'absent') } });
    expect(notifier.watchdog()).toBe(false);
    notifier.close();
  });

  it('rejects an abstract socket with the fix', () => {
    const create = () =>
      new SystemdNotifier({ logger: silentLogger(), env: { NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' } });
    expect(create).toThrow(FacegateError);
    expect(create).toThrow(expect.objectContaining({
      code: 'systemd.notify_socket_unsupported',
      message: expect.stringContaining('NOTIFY_SOCKET=@/org/freedesktop/systemd1/notify'),
      hint: expect.stringContaining('/run/systemd/notify'),
    }));
  });
});

describe('watchdogPeriodUs', () => {
  it('reads WATCHDOG_USEC for this process only', () => {
    expect(watchdogPeriodUs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(30_000_000);
    expect(watchdogPeriodUs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(30_000_000);
    expect(watchdogPeriodUs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42)).toBeUndefined();
    expect(watchdogPeriodUs({ WATCHDOG_USEC: '0' }, 42)).toBeUndefined();
    expect(watchdogPeriodUs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
    expect(watchdogPeriodUs({}, 42)).toBeUndefined();
  });
});

describe('WatchdogPinger', () => {
  it('pings at half the period', async () => {
    bindFakeNotifySocket();
    const env = { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '200000' };
    const notifier = new SystemdNotifier({ logger: silentLogger(), env });
    const pinger = new WatchdogPinger({ notifier, logger: silentLogger(), env });
    expect(pinger.intervalMs).toBe(100);
    pinger.start();
    await settle(350);
    pinger.stop();
    const count = received.length;
    await settle(250);
    notifier.close();

    // One ping at start, then one per 100 ms; none after stop().
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(5);
    expect(received.length).toBe(count);
    expect(new Set(received)).toEqual(new Set(['WATCHDOG=1']));
  });

  it('stays off when WATCHDOG_PID names another process', () => {
    bindFakeNotifySocket();
    const env = { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' };
    const notifier = new SystemdNotifier({ logger: silentLogger(), env });
    const pinger = new WatchdogPinger({ notifier, logger: silentLogger(), env });
    expect(pinger.intervalMs).toBeUndefined();
    pinger.start();
    pinger.stop();
    notifier.close();
  });

  it('stops pinging while the event loop is blocked', async () => {
    // The receiver runs in its own process, so it stamps each ping when it arrives, not when this
    // process's blocked loop gets round to reading it.
    const receiver = spawn(
      process.execPath,
      [
        '-e',
        `const unix = require('unix-dgram');
         const socket = unix.createSocket('unix_dgram', (message) => {
           process.stdout.write(process.hrtime.bigint() + ' ' + message + '\\n');
         });
         socket.bind(process.argv[1]);
         process.stdout.write('bound\\n');
         process.on('SIGTERM', () => { socket.close(); process.exit(0); });`,
        socketPath,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    receiver.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const deadline = Date.now() + 5000;
    while (!output.includes('bound') && Date.now() < deadline) await settle(10);

    const env = { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '100000' };
    const notifier = new SystemdNotifier({ logger: silentLogger(), env });
    const pinger = new WatchdogPinger({ notifier, logger: silentLogger(), env });
    pinger.start();
    await settle(300);

    const blockMs = 600;
    const blockedUntil = Date.now() + blockMs;
    while (Date.now() < blockedUntil) {
      // Busy-wait: the event loop cannot run timers.
    }
    await settle(200);
    pinger.stop();
    notifier.close();
    await settle(50);
    receiver.kill('SIGTERM');
    await new Promise((resolve) => receiver.once('exit', resolve));

    const arrivals = output
      .split('\n')
      .filter((line) => line.endsWith('WATCHDOG=1'))
      .map((line) => Number(BigInt(line.split(' ')[0]!) / 1_000_000n));
    const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]!);
    const longest = Math.max(...gaps);
    // Before the block the pings come every 50 ms; across it there is one gap of at least the block.
    expect(arrivals.length).toBeGreaterThanOrEqual(6);
    expect(gaps.filter((gap) => gap >= blockMs - 20)).toHaveLength(1);
    expect(longest).toBeGreaterThanOrEqual(blockMs - 20);
    expect(gaps.filter((gap) => gap < blockMs - 20).every((gap) => gap < 300)).toBe(true);
  });
});
