import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTestVideo } from '../../appliance/camera/testing.js';
import { loadConfig } from '../../appliance/config/index.js';
import { MqttPublisher } from '../../appliance/mqtt/publisher.js';
import { Outbox } from '../../appliance/outbox/outbox.js';
import { openEvent, sealEvent } from '../../protocol/envelope.js';
import { generateEncryptionKeyPair, keyId, loadPrivateKey, loadPublicKey, savePublicKey } from '../../protocol/keys.js';
import { channelTopic } from '../../protocol/topics.js';
import { openssl } from '../../provisioning/pki/openssl.js';
import { signCsr, siteCaPaths } from '../../provisioning/pki/site-ca.js';
import { captureLogs } from '../support/logs.js';
import { sampleEvent } from '../support/events.js';
import { spawnDaemon } from './support/child-daemon.js';
import { facegate, pemBody, startSiteBroker, type CliResult, type SiteBroker } from './provision-support.js';

// A blank state folder taken through init → ca → sign → install-cert → configure → status →
// selftest, then the daemon started on the result publishes to a real Mosquitto that trusts only
// the site CA. Every command runs as a technician runs it: a separate process, real openssl.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-provision-e2e-'));
// As root, Mosquitto drops to its own user, which must reach the broker folder inside this one.
fs.chmodSync(dir, 0o755);
const stateDir = path.join(dir, 'state');
const caDir = path.join(dir, 'site-ca');
const configFile = path.join(dir, 'etc', 'facegate.yaml');
const video = path.join(dir, 'gate.mp4');
const fleet = generateEncryptionKeyPair('X25519');
const outputs: CliResult[] = [];
let broker: SiteBroker | undefined;
let subscriber: MqttClient | undefined;
const received: Array<{ topic: string; payload: string }> = [];

function run(...args: string[]): CliResult {
  const result = facegate(['--log-level', 'debug', ...args]);
  outputs.push(result);
  return result;
}

function expectOk(result: CliResult): void {
  expect(result.code, `exit ${result.code}\n${result.stdout}\n${result.stderr}`).toBe(0);
}

/** Make a key and a CSR with openssl, standing in for the broker operator's and the fleet's own. */
async function keyAndCsr(name: string, commonName: string): Promise<{ key: string; csr: string }> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', `/CN=${commonName}`, '-out', csr]);
  return { key, csr };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${received.map((message) => message.topic).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  await makeTestVideo(video, { framesEach: 10, fps: 10 });
  savePublicKey(path.join(dir, 'fleet.pem'), fleet.publicKey);
});

afterAll(async () => {
  await subscriber?.endAsync(true);
  await broker?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('provisioning from a blank device to publishing', () => {
  it('takes a blank device through every step', async () => {
    const init = run('provision', 'init', '--state', stateDir, '--site', 'mo-taipa', '--device', 'gate-01');
    expectOk(init);
    expect(init.stdout).toContain('Device gate-01 at site mo-taipa now has its identity.');
    expectOk(run('provision', 'ca', '--dir', caDir, '--name', 'Taipa site CA'));
    const sign = run('provision', 'sign', path.join(stateDir, 'tls', 'client.csr'), '--ca-dir', caDir, '--out', path.join(dir, 'gate-01.crt'));
    expectOk(sign);
    expect(sign.stdout).toContain('Subject O=facegate, OU=mo-taipa, CN=gate-01 (EC P-256 key)');

    // The broker and the fleet subscriber get their certificates from the same site CA.
    const brokerPair = await keyAndCsr('broker', 'broker');
    await signCsr({ caDir, csrFile: brokerPair.csr, out: path.join(dir, 'broker.crt'), days: 30, serverHosts: ['127.0.0.1'] });
    const fleetPair = await keyAndCsr('fleet-user', 'fleet');
    await signCsr({ caDir, csrFile: fleetPair.csr, out: path.join(dir, 'fleet-user.crt'), days: 30 });
    broker = await startSiteBroker({
      dir: path.join(dir, 'broker'),
      caFile: siteCaPaths(caDir).cert,
      certFile: path.join(dir, 'broker.crt'),
      keyFile: brokerPair.key,
      devices: [{ id: 'gate-01', site: 'mo-taipa' }],
      fleetUsers: ['fleet'],
    });

    const install = run('provision', 'install-cert', '--state', stateDir, '--cert', path.join(dir, 'gate-01.crt'), '--ca', siteCaPaths(caDir).cert, '--fleet-key', path.join(dir, 'fleet.pem'));
    expectOk(install);
    expect(install.stdout).toContain('Certificate installed for device gate-01');

    const configure = run(
      'provision', 'configure', '--config', configFile, '--state', stateDir, '--direction', 'in', '--locale', 'en',
      '--camera', 'file', '--camera-path', video, '--camera-loop', 'true', '--fps', '10',
      '--gpio', 'simulated', '--relay', 'GPIO17', '--led-green', 'GPIO22', '--exit-button', 'GPIO5',
      '--broker', broker.url, '--allowed-broker', '127.0.0.1',
    );
    expectOk(configure);
    expect(configure.stdout).toContain('Device gate-01 at site mo-taipa, direction in, language en');

    const status = run('provision', 'status', '--config', configFile);
    expectOk(status);
    expect(status.stdout).toMatch(/Certificate: CN=gate-01, valid until .* \(39[67] days left\), issuer O=facegate, CN=Taipa site CA/);
    expect(status.stdout).toMatch(/fr_detect {2}fr_detect\.onnx {2}sha256 [0-9a-f]{12}… {2}matches the manifest/);

    // GPIO, camera and models have their own tests; here the broker check uses the issued certificate.
    const selftest = run('provision', 'selftest', '--config', configFile, '--non-interactive', '--skip', 'gpio,camera,vision,clock');
    expectOk(selftest);
    expect(selftest.stdout).toMatch(/Device certificate\s+PASS\s+CN=gate-01, valid until/);
    expect(selftest.stdout).toMatch(new RegExp(`Broker connection\\s+PASS\\s+connected to ${broker.url.replace(/[.]/g, '\\.')} as gate-01 in \\d+ ms`));
  });

  it('daemon publishes with the issued certificate', async () => {
    const config = loadConfig(configFile);
    subscriber = connect(broker!.url, {
      protocolVersion: 5,
      clientId: `fleet-${process.pid}`,
      ca: fs.readFileSync(siteCaPaths(caDir).cert),
      cert: fs.readFileSync(path.join(dir, 'fleet-user.crt')),
      key: fs.readFileSync(path.join(dir, 'fleet-user.key')),
      reconnectPeriod: 0,
    });
    subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await subscriber.subscribeAsync('facegate/v1/#', { qos: 1 });

    const daemon = spawnDaemon(configFile);
    try {
      await daemon.waitFor(/connected to the broker/, 1, 40_000);
      const statusTopic = channelTopic('mo-taipa', 'gate-01', 'status');
      await waitFor(() => received.some((message) => message.topic === statusTopic && JSON.parse(message.payload).state === 'online'), 10_000, 'the online status');
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      await waitFor(() => received.some((message) => message.topic === statusTopic && JSON.parse(message.payload).state === 'offline'), 10_000, 'the offline status');
      outputs.push({ code: 0, stdout: '', stderr: daemon.lines.map((line) => JSON.stringify(line)).join('\n') });
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    }

    // An event sealed with the keys init made reaches the fleet, which opens it with the fleet key.
    const logs = captureLogs();
    const outbox = Outbox.open({ stateDir: config.stateDir, deviceId: config.device.id, logger: logs.logger });
    const deviceKey = loadPrivateKey(config.keys.deviceKeyFile);
    const installedFleetKey = loadPublicKey(config.keys.fleetPublicKeyFile);
    const event = sampleEvent({ deviceId: 'gate-01', siteId: 'mo-taipa' });
    await outbox.enqueue({
      seal: async (seq) => ({
        id: event.eventId,
        topic: channelTopic('mo-taipa', 'gate-01', 'events'),
        payload: await sealEvent({ ...event, seq }, { deviceSigningKey: deviceKey, deviceKid: keyId(deviceKey), fleetPublicKey: installedFleetKey, fleetKid: keyId(installedFleetKey) }),
      }),
    });
    const publisher = new MqttPublisher({
      url: config.mqtt.url,
      tls: { caFile: config.mqtt.caFile, certFile: config.mqtt.certFile, keyFile: config.mqtt.keyFile },
      siteId: config.device.site,
      outbox,
      logger: logs.logger,
      firmware: '0.1.0',
      models: {},
      rateLimit: null,
    });
    publisher.start();
    try {
      const eventsTopic = channelTopic('mo-taipa', 'gate-01', 'events');
      await waitFor(() => received.some((message) => message.topic === eventsTopic), 10_000, 'the sealed event');
      const jwe = received.find((message) => message.topic === eventsTopic)!.payload;
      const devicePublicKey = loadPublicKey(path.join(stateDir, 'keys', 'device-signing-key.pub.pem'));
      const opened = await openEvent(jwe, {
        fleetPrivateKey: fleet.privateKey,
        resolveDeviceKey: (kid) => (kid === keyId(devicePublicKey) ? { publicKey: devicePublicKey, deviceId: 'gate-01', siteId: 'mo-taipa' } : undefined),
        topic: eventsTopic,
      });
      expect(opened.payload.eventId).toBe(event.eventId);
      expect(opened.payload.deviceId).toBe('gate-01');
    } finally {
      await publisher.stop({ timeoutMs: 2_000 });
      await outbox.close();
    }
  });

  it('never prints or logs a key', () => {
    const secrets = [
      path.join(stateDir, 'keys', 'device-signing-key.pem'),
      path.join(stateDir, 'tls', 'client.key'),
      path.join(stateDir, 'keys', 'data.key'),
      siteCaPaths(caDir).key,
    ].filter((file) => fs.existsSync(file));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const everything = outputs.map((result) => `${result.stdout}\n${result.stderr}`).join('\n');
    // Every command ran with --log-level debug, so its log lines are in the captured output too.
    expect(everything).toContain('"msg":"device identity created"');
    expect(everything).toContain('"msg":"device certificate installed"');
    for (const file of secrets) {
      const body = file.endsWith('data.key') ? fs.readFileSync(file).toString('base64') : pemBody(file);
      for (let start = 0; start + 24 <= body.length; start += 24) expect(everything).not.toContain(body.slice(start, start + 24));
      expect(everything).not.toContain(fs.readFileSync(file).toString('hex').slice(0, 32));
    }
    expect(everything).not.toMatch(/BEGIN (EC |ENCRYPTED )?PRIVATE KEY/);
  });
});
