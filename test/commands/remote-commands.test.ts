import fs from 'node:fs';
import path from 'node:path';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../appliance/common/logger.js';
import type { FacegateConfig } from '../../appliance/config/load.js';
import { recordConsentForTests } from '../../appliance/consent/testing.js';
import { ENROLLED, probePhoto } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import { commandResultsFor } from '../../fleet/command-results.js';
import { parseFleetConfig } from '../../fleet/config.js';
import { FleetMonitor } from '../../fleet/monitor.js';
import { signCommand, type CommandPayload } from '../../protocol/command.js';
import { openCommandResult, type CommandResult } from '../../protocol/command-result.js';
import { keyId, loadPrivateKey, loadPublicKey } from '../../protocol/keys.js';
import { deviceTopics } from '../../protocol/topics.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { runCli } from '../helpers/cli.js';
import { operatorTestKey, readAuditEntries, sampleCommand } from '../support/commands.js';
import { connectFleetClient, type FleetClient } from '../support/fleet-client.js';
import { DEVICE_ID, SITE_ID, createGateFixture, type GateFixture, type RunningDaemon } from '../e2e/support/gate-fixture.js';

// One daemon watches a looped video of an enrolled worker while an operator sends it signed
// commands through the real broker. A withdrawal must take the worker out of the matcher within
// 60 s. Every forged, stale or misaddressed command must be rejected, audited and given a
// `rejected` result while the daemon keeps running.

const WORKER = ENROLLED[0]!;
const WITHDRAWAL_DEADLINE_MS = 60_000;
const topics = deviceTopics(SITE_ID, DEVICE_ID);

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('remote commands end to end', () => {
  let fixture: GateFixture;
  let run: RunningDaemon;
  let monitor: FleetMonitor;
  let fleetClient: FleetClient;
  let fleetConfigFile: string;
  let operatorKeyFile: string;
  let daemonConfig: FacegateConfig;
  let operatorKey: ReturnType<typeof loadPrivateKey>;

  const auditEntries = () => readAuditEntries(fixture.stateDir);

  /** Open every result the fleet client has received, in arrival order. */
  const receivedResults = async (): Promise<CommandResult[]> => {
    const fleetPrivateKey = loadPrivateKey(fixture.keys.fleetPrivateKeyFile);
    const devicePublicKey = loadPublicKey(fixture.keys.devicePublicKeyFile);
    const resolveDeviceKey = (kid: string) => (kid === keyId(devicePublicKey) ? { publicKey: devicePublicKey, deviceId: DEVICE_ID, siteId: SITE_ID } : undefined);
    const opened = [];
    for (const message of fleetClient.messages.filter((candidate) => candidate.topic === topics.cmdResult)) {
      expect(message.packet.properties?.contentType).toBe('application/jose');
      opened.push((await openCommandResult(message.payload, { fleetPrivateKey, resolveDeviceKey, topic: message.topic })).payload);
    }
    return opened;
  };

  const resultFor = (commandId: string, count = 1) =>
    until(async () => {
      const found = (await receivedResults()).filter((result) => result.commandId === commandId);
      return found.length >= count ? found : undefined;
    }, `result ${count} of command ${commandId}`);

  const command = (overrides: Partial<CommandPayload> = {}) => sampleCommand({ siteId: SITE_ID, deviceId: DEVICE_ID, operator: 'ops-lee', ...overrides });

  beforeAll(async () => {
    fixture = await createGateFixture({ enrol: [WORKER] });
    await recordConsentForTests(fixture.stateDir, [WORKER.subjectId]);

    // The operator makes a key pair with the CLI and installs the public half in the device's default folder.
    const operatorDir = path.join(fixture.dir, 'operator');
    const created = await runCli(['fleet', 'operator-key', 'create', '--out', operatorDir, '--name', 'ops-lee', '--lang', 'en', '--log-level', 'silent']);
    expect(created.code, created.stderr).toBe(0);
    operatorKeyFile = path.join(operatorDir, 'ops-lee.private.pem');
    operatorKey = loadPrivateKey(operatorKeyFile);
    fs.mkdirSync(path.join(fixture.stateDir, 'keys', 'operators'), { recursive: true });
    fs.copyFileSync(path.join(operatorDir, 'ops-lee.public.pem'), path.join(fixture.stateDir, 'keys', 'operators', 'ops-lee.public.pem'));

    const fleetDir = path.join(fixture.dir, 'fleet');
    fs.mkdirSync(fleetDir, { recursive: true });
    const pair = fixture.broker.clientCert('fleet');
    const fleetInput = {
      broker: { url: fixture.broker.url, caFile: fixture.broker.caFile, certFile: pair.cert, keyFile: pair.key, clientId: 'fleet-commands-test', shareGroup: 'commands-test' },
      fleetKeys: [fixture.keys.fleetPrivateKeyFile],
      devices: [{ id: DEVICE_ID, site: SITE_ID, publicKey: fixture.keys.devicePublicKeyFile }],
      store: { sqlite: path.join(fleetDir, 'fleet.db') },
      http: { host: '127.0.0.1', port: 0, locale: 'en' as const },
    };
    fleetConfigFile = path.join(fleetDir, 'fleet.yaml');
    fs.writeFileSync(fleetConfigFile, JSON.stringify({ ...fleetInput, broker: { ...fleetInput.broker, clientId: undefined } }));
    monitor = new FleetMonitor({ config: parseFleetConfig(fleetInput, fleetConfigFile), logger: silentLogger() });
    await monitor.start();
    fleetClient = await connectFleetClient(fixture.broker, { filters: [topics.cmdResult] });

    const video = path.join(fixture.dir, 'worker.mp4');
    await buildGateVideo(video, [{ photo: null, seconds: 0.6 }, { photo: probePhoto(fixture.dataDir, WORKER), seconds: 2 }, { photo: null, seconds: 0.8 }], { workDir: path.join(fixture.dir, 'stills') });
    daemonConfig = fixture.config({ type: 'file', path: video, loop: true }, {
        consent: { withdrawalCheckS: 10, controller: 'Test Employer Lda.', contact: 'privacy@example.test' },
        // Tracks end in the 1.4 s without a face, so each pass of the worker is decided anew.
        decision: { votesRequired: 3, trackTimeoutMs: 600, debounceMs: 60_000, maxTrackAgeMs: 15_000 },
      });
    run = await fixture.startDaemon(daemonConfig);
  });

  afterAll(async () => {
    await fleetClient?.close();
    await run?.daemon.stop();
    await monitor?.stop();
    await fixture?.cleanup();
  });

  it('withdraws consent from the fleet CLI', async () => {
    await until(() => run.decisions.find((entry) => entry.decision.decision === 'granted' && entry.decision.subjectId === WORKER.subjectId), 'a grant for the worker', 20_000);

    const sentAt = performance.now();
    const cli = await runCli([
      'fleet', 'command', '--config', fleetConfigFile, '--site', SITE_ID, '--device', DEVICE_ID, '--name', 'withdraw-consent',
      '--arg', `subject=${WORKER.subjectId}`, '--arg', 'reason=request by e-mail', '--operator-key', operatorKeyFile,
      '--expires', '5m', '--wait', '30s', '--json', '--log-level', 'silent',
    ]);
    const answeredMs = performance.now() - sentAt;
    expect(cli.code, cli.stderr).toBe(0);
    const { command: sent, result } = JSON.parse(cli.stdout) as { command: CommandPayload; result: CommandResult };
    expect(result).toMatchObject({ commandId: sent.commandId, name: 'withdraw-consent', outcome: 'done', reason: 'consent-withdrawn', deviceId: DEVICE_ID });
    expect(result.output).toMatchObject({ templatesDestroyed: 3 });
    expect(answeredMs).toBeLessThan(WITHDRAWAL_DEADLINE_MS);

    // The handler rebuilt the matcher before it sent the result.
    expect(run.logs.matching(/gallery reloaded into the matcher/).some((line) => line.subjects === 0)).toBe(true);
    // The face on camera is no longer known: the next decisions for it are unknown.
    const decisionsAtResult = run.decisions.length;
    await until(() => run.decisions.slice(decisionsAtResult).find((entry) => entry.decision.decision === 'unknown'), 'an unknown decision after the withdrawal', WITHDRAWAL_DEADLINE_MS);
    const droppedMs = performance.now() - sentAt;
    expect(droppedMs).toBeLessThan(WITHDRAWAL_DEADLINE_MS);
    // A track decided from votes cast before the withdrawal may still grant once; none after the first unknown.
    const afterUnknown = run.decisions.slice(decisionsAtResult);
    const firstUnknown = afterUnknown.findIndex((entry) => entry.decision.decision === 'unknown');
    expect(afterUnknown.slice(firstUnknown).filter((entry) => entry.decision.decision === 'granted')).toEqual([]);

    const entries = auditEntries();
    const commandEntry = entries.find((entry) => entry.entryId === result.auditEntryId);
    expect(commandEntry).toMatchObject({ action: 'command.withdraw-consent', outcome: 'success', actor: { kind: 'operator', id: 'ops-lee' }, object: { kind: 'command', id: sent.commandId } });
    expect(commandEntry!.detail).toMatchObject({ subject: WORKER.subjectId, withdrawReason: 'request by e-mail', source: 'broker' });
    expect(entries.find((entry) => entry.action === 'consent.withdraw')).toMatchObject({ actor: { kind: 'operator', id: 'ops-lee' }, object: { kind: 'subject', id: WORKER.subjectId } });

    // The fleet monitor opened and stored the same result.
    const stored = await until(async () => {
      const rows = await commandResultsFor(monitor.fleetStore, sent.commandId);
      return rows.length > 0 ? rows : undefined;
    }, 'the stored result');
    expect(stored.map((row) => [row.outcome, row.reason, row.audit_entry_id])).toEqual([['done', 'consent-withdrawn', result.auditEntryId]]);
  });

  const stranger = operatorTestKey('ops-lee');
  const now = () => Date.now();
  const cases: Array<[string, () => Promise<{ topic: string; token: string; commandId: string }>, string, string | null]> = [
    ['an expired command', async () => {
      const payload = command({ issuedAt: formatMacauTime(now() - 20 * 60_000), expiresAt: formatMacauTime(now() - 10 * 60_000) });
      return { topic: topics.command('ping'), token: await signCommand(payload, operatorKey), commandId: payload.commandId };
    }, 'expired', 'ops-lee'],
    ['a command for another device', async () => {
      const payload = command({ deviceId: 'gate-other' });
      return { topic: topics.command('ping'), token: await signCommand(payload, operatorKey), commandId: payload.commandId };
    }, 'wrong-device', 'ops-lee'],
    ['a bad signature', async () => {
      const payload = command();
      const [header, , signature] = (await signCommand(payload, operatorKey)).split('.');
      const altered = Buffer.from(JSON.stringify({ ...payload, name: 'reload-gallery' })).toString('base64url');
      return { topic: topics.command('ping'), token: `${header}.${altered}.${signature}`, commandId: payload.commandId };
    }, 'bad-signature', null],
    ['an unknown operator key', async () => {
      const payload = command();
      return { topic: topics.command('ping'), token: await signCommand(payload, stranger.privateKey), commandId: payload.commandId };
    }, 'unknown-key', null],
    ['a name other than the topic', async () => {
      const payload = command({ name: 'ping' });
      return { topic: topics.command('reload-gallery'), token: await signCommand(payload, operatorKey), commandId: payload.commandId };
    }, 'name-mismatch', 'ops-lee'],
    ['a token of another type', async () => {
      const payload = command();
      const token = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: keyId(operatorKey), typ: 'facegate-audit+jwt' }).sign(operatorKey);
      return { topic: topics.command('ping'), token, commandId: payload.commandId };
    }, 'bad-header', null],
  ];

  it.each(cases)('rejects %s', async (_, build, reason, actor) => {
    const { topic, token, commandId } = await build();
    await fleetClient.publish(topic, token);
    const [result] = await resultFor(commandId);
    expect(result).toMatchObject({ outcome: 'rejected', reason });
    const entry = await until(() => auditEntries().find((candidate) => candidate.entryId === result!.auditEntryId), 'the audit entry');
    expect(entry).toMatchObject({ outcome: 'denied', reason, actor: { kind: 'operator', id: actor }, object: { kind: 'command', id: commandId } });
  });

  it('rejects a replayed command', async () => {
    const payload = command();
    const token = await signCommand(payload, operatorKey);
    await fleetClient.publish(topics.command('ping'), token);
    await resultFor(payload.commandId);
    await fleetClient.publish(topics.command('ping'), token);
    const answers = await resultFor(payload.commandId, 2);
    expect(answers.map((answer) => [answer.outcome, answer.reason])).toEqual([['done', 'pong'], ['rejected', 'replayed']]);
    expect(auditEntries().find((entry) => entry.entryId === answers[1]!.auditEntryId)).toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'replayed' });
  });

  it('audits a garbage payload without a result', async () => {
    const resultsBefore = (await receivedResults()).length;
    const rejectionsBefore = run.logs.matching(/rejected a remote command: malformed/).length;
    await fleetClient.publish(topics.command('ping'), 'this is not a command');
    await until(() => (run.logs.matching(/rejected a remote command: malformed/).length > rejectionsBefore ? true : undefined), 'the malformed rejection');
    const entry = auditEntries().at(-1);
    expect(entry).toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'malformed', actor: { kind: 'operator', id: null }, object: { kind: 'command', id: null } });
    expect((await receivedResults()).length).toBe(resultsBefore);
  });

  it('audits an oversized payload without a result', async () => {
    // Mosquitto forwards payloads up to the MQTT maximum by default, so the daemon must reject this one without decoding it.
    const resultsBefore = (await receivedResults()).length;
    const rejectionsBefore = run.logs.matching(/rejected a remote command: malformed/).length;
    await fleetClient.publish(topics.command('ping'), 'A'.repeat(16 * 1024 * 1024));
    const line = await until(() => run.logs.matching(/rejected a remote command: malformed/)[rejectionsBefore], 'the malformed rejection');

    expect(line.detail).toBe('The command message is over the 9216-byte limit.');
    expect(auditEntries().at(-1)).toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'malformed', object: { kind: 'command', id: null } });
    expect((await receivedResults()).length).toBe(resultsBefore);
  });

  it('counts the commands in the audit report', async () => {
    const report = await runCli(['audit', 'report', '--state', fixture.stateDir, '--format', 'json', '--log-level', 'silent']);
    expect(report.code, report.stderr).toBe(0);
    const parsed = JSON.parse(report.stdout) as { security: { commands: number }; byAction: Array<{ action: string; total: number; denied: number }> };
    const commandEntries = auditEntries().filter((entry) => entry.action.startsWith('command.'));
    expect(commandEntries.length).toBeGreaterThanOrEqual(cases.length + 3);
    expect(parsed.security.commands).toBe(commandEntries.length);
    expect(parsed.byAction.find((row) => row.action === 'command.withdraw-consent')?.total).toBe(1);
  });

  it('keeps the daemon running after every rejection', async () => {
    expect(run.logs.errors()).toEqual([]);
    const payload = command({ name: 'ping' });
    await fleetClient.publish(topics.command('ping'), await signCommand(payload, operatorKey));
    const [result] = await resultFor(payload.commandId);
    expect(result).toMatchObject({ outcome: 'done', reason: 'pong' });
    expect(result!.output).toMatchObject({ firmware: '0.1.0' });
    const analysed = run.analysed.length;
    await until(() => (run.analysed.length > analysed ? true : undefined), 'another analysed frame');
  });

  it('runs a command sent while the daemon was stopped', async () => {
    // The broker keeps the device's session (mqtt.sessionExpiryS), so the command waits for it.
    await run.daemon.stop();
    const payload = command({ name: 'ping' });
    await fleetClient.publish(topics.command('ping'), await signCommand(payload, operatorKey));
    run = await fixture.startDaemon(daemonConfig);
    const [result] = await resultFor(payload.commandId);
    expect(result).toMatchObject({ outcome: 'done', reason: 'pong' });
  });
});
