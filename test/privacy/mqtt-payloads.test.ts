import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openAuditMessage } from '../../appliance/audit/wire.js';
import { silentLogger } from '../../appliance/common/logger.js';
import { validateConfig } from '../../appliance/config/index.js';
import { CredentialStore } from '../../appliance/fallback/credentials.js';
import { encodeTyping } from '../../appliance/fallback/hid.js';
import { Gallery } from '../../appliance/gallery/store.js';
import { ENROLLED, STRANGER, probePhoto } from '../../demo/lib/cast.js';
import { buildGateVideo } from '../../demo/lib/video.js';
import { openEvent, sealJson } from '../../protocol/envelope.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { keyId, loadPrivateKey, loadPublicKey } from '../../protocol/keys.js';
import { signCommand } from '../../protocol/command.js';
import { openCommandResult } from '../../protocol/command-result.js';
import { deviceTopics, parseTopic } from '../../protocol/topics.js';
import { operatorTestKey, sampleCommand } from '../support/commands.js';
import { PlaintextScanner } from '../helpers/plaintext.js';
import { connectFleetClient, type FleetClient } from '../support/fleet-client.js';
import { inspectPayload, scanValue, type Finding, type InspectKeys, type ScanOptions } from '../e2e/support/biometric-scan.js';
import { DEVICE_ID, SITE_ID, createGateFixture, within, type GateFixture, type RunningDaemon } from '../e2e/support/gate-fixture.js';

// Nothing biometric may cross the wire. A real daemon recognises an enrolled worker and a stranger
// on a video, takes two badge swipes and runs two signed operator commands, while a fleet-side
// client subscribed to facegate/v1/# records every PUBLISH the broker delivers. Each sealed payload is decrypted with the fleet key and
// verified, and every payload, plain or opened, is scanned for images, embeddings and landmarks.

const WORKER = ENROLLED[0]!;
const WORKER_BADGE = '80017';
const UNKNOWN_BADGE = '99999';

/** Model versions in status and events (`fr_landmark: "f10b0ba1d2a8"`) name a model, not a face. */
function isModelVersion(fieldPath: string, value: unknown): boolean {
  return /\.models\.[A-Za-z0-9._-]+$/.test(fieldPath) && typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/.test(value);
}

/** Telemetry stage latencies (`latenciesMs.landmarks: { p50, p95 }`) time a pipeline stage. */
function isStageLatency(fieldPath: string, value: unknown): boolean {
  if (!/^\$\.latenciesMs\.[a-z][a-z0-9_-]*$/.test(fieldPath) || value === null || typeof value !== 'object') return false;
  const entries = Object.entries(value);
  return entries.length === 2 && entries.every(([key, number]) => (key === 'p50' || key === 'p95') && typeof number === 'number');
}

/**
 * A checkpoint's signed note in the C2SP signed-note format: origin, tree size, base64 root (32
 * bytes), time, a blank line and one signature line of base64 key hash and Ed25519 signature (68
 * bytes). Its only free-form parts are too short to hold a face.
 */
const CHECKPOINT_NOTE = /^(facegate\/v1\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\/audit)\n\d+\n[A-Za-z0-9+/]{43}=\ntime [0-9T:.+-]+\n\n\u2014 \1 [A-Za-z0-9+/]{91}=\n$/;

function isKnownField(fieldPath: string, value: unknown): boolean {
  if (fieldPath === '$.payload.checkpoint.note') return typeof value === 'string' && CHECKPOINT_NOTE.test(value);
  return isModelVersion(fieldPath, value) || isStageLatency(fieldPath, value);
}

let fixture: GateFixture;
let run: RunningDaemon;
let recorder: FleetClient;
let keys: InspectKeys;
let options: ScanOptions;

beforeAll(async () => {
  fixture = await createGateFixture({ enrol: [WORKER] });
  const credentials = CredentialStore.open({ stateDir: fixture.stateDir, logger: silentLogger() });
  credentials.addBadge(WORKER.subjectId, WORKER_BADGE);
  credentials.close();
  // A FIFO replaces the badge reader's input device, so the test can swipe badges.
  const badgeReader = path.join(fixture.dir, 'badge-reader');
  execFileSync('mkfifo', [badgeReader]);
  const operator = operatorTestKey('ops-lee');
  const operatorsDir = path.join(fixture.stateDir, 'keys', 'operators');
  fs.mkdirSync(operatorsDir, { recursive: true });
  fs.writeFileSync(path.join(operatorsDir, 'ops-lee.public.pem'), operator.publicKey.export({ type: 'spki', format: 'pem' }));

  const video = path.join(fixture.dir, 'gate.mp4');
  await buildGateVideo(
    video,
    [
      { photo: null, seconds: 0.3 },
      { photo: probePhoto(fixture.dataDir, WORKER), seconds: 2.5 },
      { photo: null, seconds: 0.8 },
      { photo: probePhoto(fixture.dataDir, STRANGER), seconds: 2.5 },
      { photo: null, seconds: 0.5 },
    ],
    { workDir: path.join(fixture.dir, 'stills') },
  );

  recorder = await connectFleetClient(fixture.broker, { filters: ['facegate/v1/#'] });
  const input = fixture.configInput({ type: 'file', path: video }, { fallback: { badgeDevice: badgeReader } });
  // The shortest telemetry interval the schema allows, so a telemetry message is in the recording.
  run = await fixture.startDaemon(validateConfig({ ...input, mqtt: { ...input.mqtt!, telemetryIntervalS: 5 } }));
  await within(run.inputEnded, 30_000, 'the end of the video');
  await run.daemon.settled();

  // Both swipes in one write: the reader sees end of file when the writer closes the FIFO.
  fs.writeFileSync(badgeReader, Buffer.concat([encodeTyping(WORKER_BADGE), encodeTyping(UNKNOWN_BADGE)]));
  const deadline = Date.now() + 10_000;
  while (run.committed.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(run.committed.map((entry) => entry.event.method)).toEqual(['face', 'face', 'badge', 'badge']);

  const gallery = Gallery.open({ stateDir: fixture.stateDir, logger: silentLogger() });
  const templates = gallery.loadTemplates().templates.map((template) => template.embedding);
  gallery.close();
  const topics = deviceTopics(SITE_ID, DEVICE_ID);
  for (const [name, args] of [['ping', {}], ['reload-gallery', {}]] as const) {
    const payload = sampleCommand({ siteId: SITE_ID, deviceId: DEVICE_ID, operator: operator.name, name, args });
    await recorder.publish(topics.command(name), await signCommand(payload, operator.privateKey));
  }
  await recorder.waitFor((messages) => messages.filter((message) => parseTopic(message.topic)?.channel === 'cmd-result').length >= 2, 15_000, 'two command results');
  await recorder.waitFor((messages) => messages.some((message) => parseTopic(message.topic)?.channel === 'telemetry'), 10_000, 'a telemetry message');
  await run.daemon.stop();
  await recorder.waitFor(
    (messages) => messages.some((message) => parseTopic(message.topic)?.channel === 'status' && message.payload.includes('"offline"')),
    10_000,
    'the offline status',
  );

  const fleetPrivateKey = loadPrivateKey(fixture.keys.fleetPrivateKeyFile);
  const devicePublicKey = loadPublicKey(fixture.keys.devicePublicKeyFile);
  keys = { fleetPrivateKey, deviceKey: (kid) => (kid === keyId(devicePublicKey) ? devicePublicKey : undefined) };

  options = { isKnownField, knownEmbeddings: new PlaintextScanner(templates) };
}, 90_000);

afterAll(async () => {
  await recorder?.close();
  await fixture?.cleanup();
});

const channelOf = (topic: string) => parseTopic(topic)?.channel;

describe('MQTT payloads', () => {
  it('cover every channel the daemon publishes', () => {
    const channels = new Set(recorder.messages.map((message) => channelOf(message.topic)));
    expect([...channels].sort()).toEqual(['audit', 'cmd', 'cmd-result', 'events', 'status', 'telemetry']);
    expect(recorder.messages.every((message) => parseTopic(message.topic)?.deviceId === DEVICE_ID)).toBe(true);
  });

  it('open and verify with the fleet key', async () => {
    const resolveDeviceKey = (kid: string) => {
      const publicKey = keys.deviceKey(kid);
      return publicKey === undefined ? undefined : { publicKey, deviceId: DEVICE_ID, siteId: SITE_ID };
    };
    const events: AttendanceEvent[] = [];
    let auditMessages = 0;
    const results: string[] = [];
    for (const message of recorder.messages) {
      if (channelOf(message.topic) === 'cmd-result') {
        const opened = await openCommandResult(message.payload, { fleetPrivateKey: keys.fleetPrivateKey, resolveDeviceKey, topic: message.topic });
        results.push(`${opened.payload.name} ${opened.payload.outcome}`);
      }
      const channel = channelOf(message.topic);
      if (channel === 'events') events.push((await openEvent(message.payload, { fleetPrivateKey: keys.fleetPrivateKey, resolveDeviceKey, topic: message.topic })).payload);
      if (channel === 'audit') {
        await openAuditMessage(message.payload, { fleetPrivateKey: keys.fleetPrivateKey, resolveDeviceKey, topic: message.topic });
        auditMessages += 1;
      }
    }
    expect(auditMessages).toBeGreaterThan(4);
    expect(results.sort()).toEqual(['ping done', 'reload-gallery done']);
    const decisions = events.map((event) => `${event.method} ${event.decision}`).sort();
    expect(decisions).toEqual(['badge denied', 'badge granted', 'face granted', 'face unknown']);
    expect(events.find((event) => event.method === 'face' && event.decision === 'granted')!.subject).toBe(fixture.pseudonyms.get(WORKER.subjectId));
  });

  it('carry nothing biometric', async () => {
    const findings: Array<Finding & { topic: string }> = [];
    let sealed = 0;
    for (const message of recorder.messages) {
      if (channelOf(message.topic) === 'cmd') {
        // The operator's own commands: a signed JWS whose payload is scanned like any other.
        const payload: unknown = JSON.parse(Buffer.from(message.payload.split('.')[1]!, 'base64url').toString('utf8'));
        findings.push(...scanValue(payload, '$', options).map((finding) => ({ topic: message.topic, ...finding })));
        continue;
      }
      const inspected = await inspectPayload(message.packet.payload as Buffer, keys, options);
      if (inspected.sealed) sealed += 1;
      findings.push(...inspected.findings.map((finding) => ({ topic: message.topic, ...finding })));
    }
    expect(findings).toEqual([]);
    const sealedChannels = recorder.messages.filter((message) => ['events', 'audit', 'cmd-result'].includes(channelOf(message.topic) ?? '')).length;
    expect(sealed).toBe(sealedChannels);
  });
});

describe('biometric scanner', () => {
  const unitVector = (length: number): Float32Array => {
    const vector = Float32Array.from({ length }, (_, i) => Math.sin(i * 1.7 + 0.3));
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  };
  const asBytes = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);

  /** Seal `planted` as the device would seal a payload, then run the same inspection as the recorded messages. */
  async function inspectPlanted(planted: Record<string, unknown>): Promise<Finding[]> {
    const sealed = await sealJson(z.record(z.string(), z.unknown()), planted, {
      typ: 'facegate-event',
      signingKey: loadPrivateKey(fixture.keys.deviceKeyFile),
      signerKid: keyId(loadPublicKey(fixture.keys.devicePublicKeyFile)),
      recipientKey: loadPublicKey(fixture.keys.fleetPublicKeyFile),
      recipientKid: keyId(loadPublicKey(fixture.keys.fleetPublicKeyFile)),
    });
    return (await inspectPayload(Buffer.from(sealed), keys, options)).findings;
  }

  it('flags a planted embedding', async () => {
    const embedding = unitVector(128);
    const asArray = await inspectPlanted({ decision: 'granted', scores: Array.from(embedding) });
    expect(asArray.map((finding) => finding.path)).toContain('$.payload.scores');
    const asBase64 = await inspectPlanted({ decision: 'granted', note: asBytes(embedding).toString('base64') });
    expect(asBase64.some((finding) => finding.path === '$.payload.note' && /unit L2 norm/.test(finding.reason))).toBe(true);
    const byName = await inspectPlanted({ faceTemplate: 'opaque' });
    expect(byName.map((finding) => finding.reason)).toContain('key names biometric data (face, template)');
  });

  it('flags a gallery template by its bytes', async () => {
    const gallery = Gallery.open({ stateDir: fixture.stateDir, logger: silentLogger() });
    const template = gallery.loadTemplates().templates[0]!.embedding;
    gallery.close();
    // Hex and offset by a byte, so only the known-embedding windows and the unit-norm search at any alignment can find it.
    const hidden = Buffer.concat([Buffer.from([0x01]), asBytes(template)]).toString('hex');
    const findings = await inspectPlanted({ reason: hidden });
    expect(findings.some((finding) => /windows of a known embedding/.test(finding.reason))).toBe(true);
    expect(findings.some((finding) => /unit L2 norm/.test(finding.reason))).toBe(true);
  });

  it('flags a planted JPEG', async () => {
    const crop = await sharp(probePhoto(fixture.dataDir, WORKER)).resize(112, 112).jpeg({ quality: 80 }).toBuffer();
    const findings = await inspectPlanted({ decision: 'granted', reason: crop.toString('base64url') });
    expect(findings.some((finding) => finding.path === '$.payload.reason' && /JPEG image signature/.test(finding.reason))).toBe(true);
    const dataUrl = scanValue({ avatar: `data:image/jpeg;base64,${crop.toString('base64')}` });
    expect(dataUrl.map((finding) => finding.reason)).toEqual(expect.arrayContaining(['data:image URL', expect.stringMatching(/^base64 decodes to JPEG image signature/)]));
  });

  it('flags landmarks and long strings', () => {
    const landmarks = scanValue({ points: [[38.3, 51.7], [73.5, 51.5], [56.0, 71.7], [41.5, 92.4], [70.7, 92.2]] });
    expect(landmarks.map((finding) => finding.path)).toEqual(['$.points']);
    const long = scanValue({ note: 'x'.repeat(200) });
    expect(long).toEqual([{ path: '$.note', reason: 'string of 200 characters, over the 128-character bound' }]);
  });

  it('passes counts and known fields', () => {
    expect(scanValue({ templates: 3, faces: 1 })).toEqual([]);
    expect(scanValue({ models: { fr_landmark: 'f10b0ba1d2a8' } }, '$', { isKnownField })).toEqual([]);
    expect(scanValue({ latenciesMs: { landmarks: { p50: 4, p95: 9 } } }, '$', { isKnownField })).toEqual([]);
    // The same keys with values that could carry a face are still flagged.
    expect(scanValue({ models: { fr_landmark: [1, 2, 3] } }, '$', { isKnownField }).map((finding) => finding.path)).toEqual(['$.models.fr_landmark']);
    expect(scanValue({ latenciesMs: { landmarks: { p50: 4, p95: 9, image: 'x' } } }, '$', { isKnownField }).map((finding) => finding.path)).toEqual(['$.latenciesMs.landmarks', '$.latenciesMs.landmarks.image']);
  });
});
