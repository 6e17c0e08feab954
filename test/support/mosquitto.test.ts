import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from './mosquitto.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker({ devices: [{ id: 'gate-91', site: 'mo-01' }] });
});

afterAll(async () => {
  await broker?.cleanup();
});

/** Connect with a client certificate and report the CONNACK, or the error that came instead. */
async function tryConnect(name: string): Promise<'connected' | string> {
  const pair = broker.clientCert(name);
  const client = connect(broker.url, {
    protocolVersion: 5,
    clientId: name,
    reconnectPeriod: 0,
    connectTimeout: 3_000,
    ca: fs.readFileSync(broker.caFile),
    cert: fs.readFileSync(pair.cert),
    key: fs.readFileSync(pair.key),
  });
  const outcome = await new Promise<string>((resolve) => {
    client.once('connect', () => resolve('connected'));
    client.once('error', (error) => resolve(error.message));
  });
  await client.endAsync(true);
  return outcome;
}

describe('test broker', () => {
  it('accepts a device certificate from its CA', async () => {
    expect(await tryConnect('gate-91')).toBe('connected');
  });

  it('comes back on the same port after restart and kill', async () => {
    const port = broker.port;
    await broker.restart();
    expect(broker.port).toBe(port);
    expect(await tryConnect('gate-91')).toBe('connected');

    await broker.kill();
    expect(broker.running).toBe(false);
    expect(await tryConnect('gate-91')).toContain('ECONNREFUSED');
    await broker.start();
    expect(broker.running).toBe(true);
    expect(await tryConnect('gate-91')).toBe('connected');
    expect(broker.logs()).toContain('[test broker] process exited with SIGKILL');
  });

  it('names certificates it did not issue', () => {
    expect(() => broker.clientCert('gate-99')).toThrow('issued no certificate for "gate-99"');
    expect(() => broker.rogueClientCert('gate-91')).toThrow('list it in rogueClients');
  });

  it.runIf(process.getuid?.() === 0)('rejects a folder the mosquitto user cannot reach', async () => {
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-hidden-'));
    try {
      await expect(startBroker({ dir: path.join(hidden, 'broker'), devices: ['gate-91'] })).rejects.toThrow('cannot reach');
    } finally {
      fs.rmSync(hidden, { recursive: true, force: true });
    }
  });
});
